import { expect } from "chai";
import { ConfigError } from "../../components/naming";
import { GLUE_FAILED_STATES, LakeAlerts } from "../../components/lakeAlerts";
import { readLakeConfig, StackConfigError } from "../../programs/config";
import { readStackFile, stackFilePath } from "../../programs/preview/stack";
import {
  ofType,
  oneOfType,
  parsePolicy,
  plain,
  resetRegistered,
  settle,
  useMocks,
  valueOf,
} from "../support/pulumiMocks";

const JOBS = ["cinelake-alice-trusted-csv", "cinelake-alice-trusted-tmdb", "cinelake-alice-refined"];

function build(extra: { email?: string } = {}) {
  return new LakeAlerts("alerts", {
    stackName: "alice",
    glueJobNames: JOBS,
    lambdaFunctionName: "cinelake-alice-api-ingestor",
    failureQueueName: "cinelake-alice-api-ingestor-failures",
    ...extra,
  });
}

describe("LakeAlerts", () => {
  before(() => useMocks({ stack: "alice" }));
  beforeEach(resetRegistered);

  it("sends the stack's failed or timed-out Glue runs to its topic through EventBridge", async () => {
    const alerts = build();
    await settle();
    expect(await valueOf(alerts.topicName)).to.equal("cinelake-alice-alerts");
    const rule = oneOfType("aws:cloudwatch/eventRule:EventRule").inputs;
    expect(JSON.parse(String(rule.eventPattern))).to.deep.equal({
      source: ["aws.glue"],
      "detail-type": ["Glue Job State Change"],
      detail: { jobName: JOBS, state: [...GLUE_FAILED_STATES] },
    });
    const target = oneOfType("aws:cloudwatch/eventTarget:EventTarget").inputs;
    expect(target.arn).to.equal(await valueOf(alerts.topicArn));
  });

  it("alarms on any Lambda error and on any message in the on-failure queue", async () => {
    const alerts = build();
    await settle();
    const alarms = ofType("aws:cloudwatch/metricAlarm:MetricAlarm").map(
      (a) => plain(a.inputs) as Record<string, unknown>,
    );
    const byMetric = Object.fromEntries(alarms.map((a) => [`${a.namespace}/${a.metricName}`, a]));
    expect(byMetric["AWS/Lambda/Errors"]).to.deep.include({
      dimensions: { FunctionName: "cinelake-alice-api-ingestor" },
      statistic: "Sum",
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
    });
    expect(byMetric["AWS/SQS/ApproximateNumberOfMessagesVisible"]).to.deep.include({
      dimensions: { QueueName: "cinelake-alice-api-ingestor-failures" },
      threshold: 1,
    });
    const topicArn = await valueOf(alerts.topicArn);
    for (const alarm of alarms) expect(alarm.alarmActions).to.deep.equal([topicArn]);
  });

  it("lets only its own rule and alarms publish to the topic", async () => {
    const alerts = build();
    await settle();
    const policy = parsePolicy(oneOfType("aws:sns/topicPolicy:TopicPolicy").inputs.policy);
    const rule = String(oneOfType("aws:cloudwatch/eventRule:EventRule").state.arn);
    expect(policy.Statement).to.have.length(2);
    const [events, alarms] = policy.Statement as { Principal: unknown; Condition: Record<string, unknown> }[];
    expect(events!.Principal).to.deep.equal({ Service: "events.amazonaws.com" });
    expect(events!.Condition).to.deep.equal({ ArnEquals: { "aws:SourceArn": rule } });
    expect(alarms!.Principal).to.deep.equal({ Service: "cloudwatch.amazonaws.com" });
    const alarmArns = (alarms!.Condition.ArnEquals as Record<string, string[]>)["aws:SourceArn"];
    expect(alarmArns).to.have.length(2);
    for (const arn of alarmArns!) expect(arn).to.match(/^arn:aws:cloudwatch:us-east-1:\d{12}:alarm:cinelake-alice-/);
    expect(await valueOf(alerts.alarmNames)).to.have.length(2);
  });

  it("subscribes an e-mail address only when one is given", async () => {
    build();
    await settle();
    expect(ofType("aws:sns/topicSubscription:TopicSubscription")).to.have.length(0);
    resetRegistered();
    build({ email: "alice@example.com" });
    await settle();
    expect(oneOfType("aws:sns/topicSubscription:TopicSubscription").inputs).to.include({
      protocol: "email",
      endpoint: "alice@example.com",
    });
  });

  it("refuses a bad e-mail address or no jobs before AWS is called", () => {
    expect(() => build({ email: "alice at example" })).to.throw(
      ConfigError,
      /email: "alice at example" is not an e-mail/,
    );
    expect(() => new LakeAlerts("none", { stackName: "alice", glueJobNames: [] })).to.throw(
      ConfigError,
      /glueJobNames: is empty/,
    );
  });

  it("takes the address from cinelake:alertEmail, refusing a bad one with the fix", () => {
    const dev = readStackFile(stackFilePath("dev")).values;
    const source = (extra: Record<string, string>) => ({
      get: (key: string) => ({ ...dev, "cinelake:tmdbToken": "t", ...extra })[key],
      isSecret: (key: string) => key === "cinelake:tmdbToken",
    });
    expect(readLakeConfig(source({ "cinelake:alertEmail": "ops@example.com" }), "dev").alertEmail).to.equal(
      "ops@example.com",
    );
    expect(() => readLakeConfig(source({ "cinelake:alertEmail": "nope" }), "dev"))
      .to.throw(StackConfigError)
      .with.property("message")
      .that.match(/cinelake:alertEmail: "nope" is not an e-mail address\. Fix: pulumi config set cinelake:alertEmail/);
  });
});
