/** The local runner's log files: the one line a failed job ends with, and what goes to the file and to the terminal. */
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { failureLine, logFile, logStream } from "../../runtime/local/processLog";

describe("local runner log files", () => {
  it("takes the job's own last line, else the last traceback's exception, else a line naming an error", () => {
    const traceback = [
      "26/01/02 10:00:00 WARN NativeCodeLoader: Unable to load native-hadoop library",
      "Traceback (most recent call last):",
      '  File "glue/trusted_csv.py", line 9, in <module>',
      "    main()",
      "pyspark.errors.exceptions.captured.AnalysisException: [PATH_NOT_FOUND] Path does not exist: s3a://b/Raw.",
      "  JVM stacktrace:",
      "  org.apache.spark.sql.AnalysisException: ...",
    ];
    expect(failureLine(traceback.join("\n"))).to.equal(
      "pyspark.errors.exceptions.captured.AnalysisException: [PATH_NOT_FOUND] Path does not exist: s3a://b/Raw.",
    );
    const own = [...traceback, "cinelake trusted-csv: no Raw CSV for 2024-06-01; run the BatchIngestor first", ""];
    expect(failureLine(own.join("\n"))).to.equal(
      "cinelake trusted-csv: no Raw CSV for 2024-06-01; run the BatchIngestor first",
    );
    const jvm = "Invalid maximum heap size: -Xmxlots\nError: Could not create the Java Virtual Machine.\n\n";
    expect(failureLine(jvm)).to.equal("Error: Could not create the Java Virtual Machine.");
    expect(failureLine("26/01/02 10:00:00 WARN Foo: some error\nsomething odd")).to.equal("something odd");
    expect(failureLine("")).to.equal("no output");
  });

  it("names a run's log by its time and writes everything the stream emits to it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cinelake-logs-"));
    try {
      const path = logFile(join(dir, "logs"), "demo", new Date("2024-06-01T10:20:30.456Z"));
      expect(path).to.equal(join(dir, "logs", "demo-2024-06-01T10-20-30-456Z.log"));
      const stream = new PassThrough();
      const log = logStream(stream, path);
      stream.write("WARN one\n");
      stream.end("Traceback (most recent call last):\nValueError: two\n");
      await log.close();
      expect(readFileSync(path, "utf8")).to.equal("WARN one\nTraceback (most recent call last):\nValueError: two\n");
      expect(failureLine(log.tail())).to.equal("ValueError: two");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
