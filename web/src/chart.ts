// The win-probability chart (uPlot): probabilities over time for team 1, the draw (football) and team 2.
// Sized to its container, so it follows the page on a phone.
import uPlot from "uplot";
import { type ProbabilitySeries, percent } from "./view-model";

export interface ProbabilityChart {
  update(series: ProbabilitySeries): void;
  destroy(): void;
}

export function probabilityChart(host: HTMLElement, labels: [string, string], withDraw: boolean): ProbabilityChart {
  const height = () => Math.max(180, Math.min(320, Math.round(host.clientWidth * 0.45)));
  const options: uPlot.Options = {
    width: host.clientWidth || 320,
    height: height(),
    scales: { y: { range: [0, 1] } },
    axes: [{}, { values: (_u, ticks) => ticks.map((t) => percent(t)), size: 48 }],
    series: [
      {},
      { label: labels[0], stroke: "#1d4ed8", width: 2, value: (_u, v) => (v == null ? "–" : percent(v)) },
      {
        label: "Draw",
        stroke: "#57534e",
        width: 2,
        dash: [6, 4],
        show: withDraw,
        value: (_u, v) => (v == null ? "–" : percent(v)),
      },
      { label: labels[1], stroke: "#b91c1c", width: 2, value: (_u, v) => (v == null ? "–" : percent(v)) },
    ],
  };
  const plot = new uPlot(options, [[], [], [], []], host);
  const resize = new ResizeObserver(() => plot.setSize({ width: host.clientWidth, height: height() }));
  resize.observe(host);
  return {
    update(series) {
      plot.setData(series.columns());
    },
    destroy() {
      resize.disconnect();
      plot.destroy();
    },
  };
}
