// Dashboard charts: Chart.js draws what the page passes in <script type="application/json"
// id="chart-data"> (Django's json_script: no inline script, the CSP holds). Every chart has
// a table with the same figures next to it, so the canvas is only a picture of them.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

function cssColour(name, fallback) {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

// Dates from the page (YYYY-MM-DD) shown the reader's way, in the page's language.
function dayLabel(label) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(label)) return label;
  const [year, month, day] = label.split("-").map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.toLocaleDateString(document.documentElement.lang || undefined, {
    day: "numeric",
    month: "short",
    timeZone: "UTC",
  });
}

const drawn = {
  id: "chorusDrawn",
  afterRender(chart) {
    chart.canvas.dataset.drawn = "true";
  },
};

function chartFor(canvas, spec) {
  const colours = [cssColour("--chart-1", "#4338ca"), cssColour("--chart-2", "#0f766e")];
  const text = cssColour("--muted", "#57606a");
  const grid = cssColour("--border", "#d0d7de");
  const twoAxes = spec.series.length > 1;
  const datasets = spec.series.map((series, index) => {
    const colour = colours[index % colours.length];
    return {
      type: series.type || "bar",
      label: series.label,
      data: series.data,
      backgroundColor: colour,
      borderColor: colour,
      borderWidth: series.type === "line" ? 2 : 0,
      pointRadius: series.type === "line" ? 2 : 0,
      spanGaps: false,
      ...(spec.horizontal ? {} : { yAxisID: twoAxes && index > 0 ? "second" : "first" }),
      order: series.type === "line" ? 0 : 1,
    };
  });
  const valueAxis = (position, title) => ({
    position,
    beginAtZero: true,
    max: spec.percent ? 100 : undefined,
    ticks: { color: text, precision: 0 },
    grid: { color: grid, drawOnChartArea: position !== "right" },
    title: { display: Boolean(title), text: title, color: text },
  });
  const scales = spec.horizontal
    ? {
        x: { beginAtZero: true, ticks: { color: text, precision: 0 }, grid: { color: grid } },
        y: { ticks: { color: text }, grid: { display: false } },
      }
    : {
        x: {
          // Days skip labels to fit; names (teams, campaigns) all show, slanted if need be.
          ticks: {
            color: text,
            autoSkip: Boolean(spec.dates),
            maxRotation: spec.dates ? 0 : 60,
            callback(value) {
              return dayLabel(this.getLabelForValue(value));
            },
          },
          grid: { display: false },
        },
        first: valueAxis("left", twoAxes ? spec.series[0].label : ""),
        ...(twoAxes ? { second: valueAxis("right", spec.series[1].label) } : {}),
      };
  return new Chart(canvas, {
    data: { labels: spec.labels, datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      indexAxis: spec.horizontal ? "y" : "x",
      plugins: {
        legend: { display: spec.series.length > 1, labels: { color: text } },
        tooltip: { callbacks: { title: (items) => items.map((item) => dayLabel(item.label)) } },
      },
      scales,
    },
    plugins: [drawn],
  });
}

export function drawCharts() {
  const source = document.getElementById("chart-data");
  if (!source) return [];
  let data;
  try {
    data = JSON.parse(source.textContent);
  } catch {
    return [];
  }
  const charts = [];
  for (const canvas of document.querySelectorAll("canvas[data-chart]")) {
    const spec = data[canvas.dataset.chart];
    if (spec && spec.labels.length) charts.push(chartFor(canvas, spec));
    else canvas.closest(".chart")?.classList.add("chart-empty");
  }
  return charts;
}

document.addEventListener("DOMContentLoaded", drawCharts);
