// Draws one cluster's graph when its row is clicked: the page never loads every case at once.
(function () {
  "use strict";
  const box = document.querySelector("[data-testid=chain-graph]");
  if (!box || !window.echarts) return;
  const chart = window.echarts.init(box);
  const names = JSON.parse(box.dataset.categories);
  function draw(data) {
    chart.setOption({
      tooltip: {},
      legend: [{ data: names }],
      series: [{
        type: "graph",
        layout: "force",
        roam: true,
        draggable: true,
        label: { show: true, position: "right" },
        force: { repulsion: 120, edgeLength: 60 },
        categories: names.map((name) => ({ name })),
        data: data.nodes.map((n) => ({ ...n, symbolSize: n.category === 0 ? 22 : 12 })),
        links: data.links,
      }],
    }, true);
    box.dataset.drawn = String(data.nodes.length);
  }
  document.querySelectorAll("[data-cluster-url]").forEach((link) => {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      fetch(link.dataset.clusterUrl, { credentials: "same-origin" })
        .then((r) => r.json())
        .then(draw);
    });
  });
})();
