"""Work items (tasks) for people in the field, created by the domain apps above this one."""
