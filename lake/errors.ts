/**
 * The one error type for bad configuration, shared by every layer: a component argument, a stack setting, a CLI flag
 * or an environment variable that is wrong. Its message names the setting, what is wrong and the fix, on one line.
 */

/** Thrown when a setting is wrong (component argument, stack config, CLI flag, environment); names it and the fix. */
export class ConfigError extends Error {
  override name = "ConfigError";
  /** The argument or config key that is wrong, e.g. `stackName` or `cinelake:student`. */
  readonly setting: string;

  /** Builds the error from the setting, what is wrong with it and how to fix it. */
  constructor(setting: string, problem: string, fix: string) {
    super(`${setting}: ${problem}. Fix: ${fix}`);
    this.setting = setting;
  }
}
