import { expect } from "chai";
import { ConfigError } from "../../lake/errors";
import {
  USAGE_EXIT_CODE,
  UsageError,
  choiceSetting,
  exitCodeOf,
  numberSetting,
  parseFlags,
} from "../../runtime/shared/flags";

describe("the CLIs' one flag parser (runtime/shared/flags.ts)", () => {
  it("reads whole numbers, refusing what Number() alone would take, with the flag, the rule and an example", () => {
    expect(numberSetting("--limit", undefined)).to.equal(undefined);
    expect(numberSetting("--limit", "0")).to.equal(0);
    expect(numberSetting("--limit", "5000")).to.equal(5000);
    for (const bad of ["", " ", "ten", "1e3", "0x10", "-1", "1.5", "12 "])
      expect(() => numberSetting("--limit", bad, { example: 100 }), bad).to.throw(
        ConfigError,
        `--limit: "${bad}" is not a whole number of 0 or more. Fix: give one, e.g. --limit 100`,
      );
  });

  it("checks the range: a minimum, a maximum, a minimum refused itself, fractions where asked", () => {
    expect(() => numberSetting("--part-size-mib", "4", { min: 5 })).to.throw(
      '--part-size-mib: "4" is not a whole number of 5 or more. Fix: give one, e.g. --part-size-mib 5',
    );
    expect(numberSetting("--port", "65535", { max: 65535 })).to.equal(65535);
    expect(() => numberSetting("--port", "65536", { max: 65535, example: 8080 })).to.throw(
      '--port: "65536" is not a whole number from 0 to 65535. Fix: give one, e.g. --port 8080',
    );
    expect(numberSetting("--query-seconds", "0.5", { fraction: true, aboveMin: true })).to.equal(0.5);
    expect(() => numberSetting("--query-seconds", "0", { fraction: true, aboveMin: true })).to.throw(
      '--query-seconds: "0" is not a number above 0. Fix: give one, e.g. --query-seconds 1',
    );
    expect(() => numberSetting("--fault-rate", "1.5", { fraction: true, max: 1, example: 0.05 })).to.throw(
      '--fault-rate: "1.5" is not a number from 0 to 1. Fix: give one, e.g. --fault-rate 0.05',
    );
  });

  it("says how to fix an environment variable (set it or unset it) rather than a flag", () => {
    const error = (() => {
      try {
        numberSetting("SELECTION_LIMIT", "ten");
      } catch (caught) {
        return caught as ConfigError;
      }
    })();
    expect(error).to.be.instanceOf(ConfigError);
    expect(error?.setting).to.equal("SELECTION_LIMIT");
    expect(error?.message).to.equal(
      'SELECTION_LIMIT: "ten" is not a whole number of 0 or more. Fix: set it to one, or unset it',
    );
  });

  it("reads one of a few words", () => {
    expect(choiceSetting("--scale", undefined, ["small", "full"])).to.equal(undefined);
    expect(choiceSetting("--scale", "full", ["small", "full"])).to.equal("full");
    expect(() => choiceSetting("--scale", "huge", ["small", "full"])).to.throw(
      ConfigError,
      '--scale: "huge" is not one of small, full. Fix: give one, e.g. --scale small',
    );
  });

  it("turns parseArgs' refusals into a UsageError naming the flag, with the fix when given", () => {
    const options = { port: { type: "string" } } as const;
    expect(parseFlags({ args: ["--port", "1"], options }).values.port).to.equal("1");
    expect(() => parseFlags({ args: ["--prot", "1"], options })).to.throw(UsageError, /^Unknown option '--prot'$/);
    expect(() => parseFlags({ args: ["--port"], options }, "see --help")).to.throw(
      UsageError,
      /^Option '--port <value>' argument missing: see --help$/,
    );
    // Anything else parseArgs throws (a bad configuration of parseArgs itself) is not the user's fault: thrown on.
    expect(() => parseFlags({ args: [], options: { port: { type: "number" } } } as never)).to.throw(TypeError);
  });

  it("exits 2 for a usage or configuration error, 1 for anything else", () => {
    expect(exitCodeOf(new UsageError("x"))).to.equal(USAGE_EXIT_CODE);
    expect(exitCodeOf(new ConfigError("--x", "bad", "fix"))).to.equal(2);
    expect(exitCodeOf(new Error("boom"))).to.equal(1);
    expect(exitCodeOf("not an error")).to.equal(1);
  });
});
