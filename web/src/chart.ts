// The win-probability chart (uPlot): probabilities over time for team 1, the draw (football) and team 2.
// Sized to its container, so it follows the page on a phone.
import uPlot from "uplot";
import { type ProbabilitySeries, percent } from "./view-model";

export interface ProbabilityChart {
  update(series: ProbabilitySeries): void;
  destroy(): void;
}

export function probabilityChart(host: HTMLElement, labels: [string, string], withDraw: boolean): ProbabilityChart {
  const shown = (_u: uPlot, v: number | null) => (v == null ? "–" : percent(v));
  const height = () => Math.max(180, Math.min(320, Math.round(host.clientWidth * 0.45)));
  const options: uPlot.Options = {
    width: host.clientWidth || 320,
    height: height(),
    scales: { y: { range: [0, 1] } },
    axes: [{}, { values: (_u, ticks) => ticks.map((t) => percent(t)), size: 48 }],
    series: [
      {},
      { label: labels[0], stroke: "#1d4ed8", width: 2, value: shown },
      // Only sports with draws (football) get the draw line; the others have no such column.
      ...(withDraw ? [{ label: "Draw", stroke: "#57534e", width: 2, dash: [6, 4], value: shown }] : []),
      { label: labels[1], stroke: "#b91c1c", width: 2, value: shown },
    ],
  };
  const plot = new uPlot(options, withDraw ? [[], [], [], []] : [[], [], []], host);
  const resize = new ResizeObserver(() => plot.setSize({ width: host.clientWidth, height: height() }));
  resize.observe(host);
  return {
    update(series) {
      const [x, team1, draw, team2] = series.columns();
      plot.setData(withDraw ? [x, team1, draw, team2] : [x, team1, team2]);
    },
    destroy() {
      resize.disconnect();
      plot.destroy();
    },
  };
}
