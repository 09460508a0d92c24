/** The Refined zone's star schema: facts, dimensions and bridges (see docs/data-model.md). */
import type { TableDef } from "../tables";

/** Every Refined table. */
export const REFINED_TABLES: readonly TableDef[] = [];
