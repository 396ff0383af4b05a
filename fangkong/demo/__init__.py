"""The demo district: a deterministic, High-tech-Zone-like area tree, population and accounts.

`district` plans the tree and its shapes, `population` draws households of people,
`accounts` keeps one login per role, and `seed` writes it all grid by grid. Not a Django
app: it only uses the services of `geo`, `people` and `accounts`.
"""
