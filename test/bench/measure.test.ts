import { expect } from "chai";
import { interleave, median, roundsLine, summarize } from "../../bench/measure";

describe("bench/measure: rounds side by side", () => {
  it("takes the median of an odd and an even count, and refuses none", () => {
    expect(median([30, 10, 20])).to.equal(20);
    expect(median([40, 10, 30, 20])).to.equal(25);
    expect(() => median([])).to.throw("median of no values");
  });

  it("runs the sides in turn, round after round, and keeps each side's runs in round order", async () => {
    const order: string[] = [];
    const runs = await interleave(3, {
      ours: async (round) => (order.push(`ours ${round}`), round * 10),
      reference: async (round) => (order.push(`reference ${round}`), `r${round}`),
    });
    expect(order).to.deep.equal(["ours 1", "reference 1", "ours 2", "reference 2", "ours 3", "reference 3"]);
    expect(runs).to.deep.equal({ ours: [10, 20, 30], reference: ["r1", "r2", "r3"] });
  });

  it("sums up a side by its median wall time, its highest peak and the run whose time is the median", () => {
    const runs = [
      { seconds: 41, peakRssMb: 900, id: "a" },
      { seconds: 39, peakRssMb: 1300, id: "b" },
      { seconds: 60, peakRssMb: 800, id: "c" },
    ];
    const summary = summarize(runs);
    expect(summary.seconds).to.equal(41);
    expect(summary.peakRssMb).to.equal(1300);
    expect(summary.median.id).to.equal("a");
  });

  it("prints every round's times and ratio on one line", () => {
    const line = roundsLine(["Spark", "DuckDB"], [{ seconds: 40 }, { seconds: 30 }], [{ seconds: 8 }, { seconds: 10 }]);
    expect(line).to.equal("rounds (Spark s / DuckDB s = ratio): 40.0 / 8.0 = 5.00, 30.0 / 10.0 = 3.00");
  });
});
