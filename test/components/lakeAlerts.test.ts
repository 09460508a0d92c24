import { expect } from "chai";
import { ConfigError } from "../../components/naming";
import * as pulumi from "@pulumi/pulumi";
import { GLUE_FAILED_STATES, LakeAlerts, type LakeAlertsArgs } from "../../components/lakeAlerts";
import { readLakeConfig, StackConfigError } from "../../programs/config";
import { readStackFile, stackFilePath } from "../../programs/preview/stack";
import {
  ofType,
  oneOfType,
  parsePolicy,
  plain,
  registered,
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

  it("is cinelake:index:LakeAlerts, aliased from cinelake:ops:LakeAlerts, its children tagged project and stack", async () => {
    build();
    await settle();
    const component = oneOfType("cinelake:index:LakeAlerts");
    expect(component.aliases.map((alias) => alias.type)).to.include("cinelake:ops:LakeAlerts");
    expect(oneOfType("aws:sns/topic:Topic").inputs.tags).to.deep.equal({ project: "cinelake", stack: "alice" });
  });

  it("names everything after its name prefix, so a second lake's alerts collide with nothing", async () => {
    const alerts = new LakeAlerts("books-alerts", {
      stackName: "alice",
      namePrefix: "books",
      glueJobNames: ["books-alice-authors"],
      lambdaFunctionName: "books-alice-api-ingestor",
      failureQueueName: "books-alice-api-ingestor-failures",
    });
    await settle();
    expect(oneOfType("aws:sns/topic:Topic").inputs).to.include({
      name: "books-alice-alerts",
      displayName: "books alice",
    });
    expect(oneOfType("aws:cloudwatch/eventRule:EventRule").inputs.name).to.equal("books-alice-glue-failures");
    expect(ofType("aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => a.inputs.name)).to.deep.equal([
      "books-alice-api-ingestor-errors",
      "books-alice-api-ingestor-failures",
    ]);
    expect(await valueOf(alerts.alarmArns)).to.have.length(2);
    expect(await valueOf(alerts.glueRuleArn)).to.match(/books-alice-glue-failures$/);
    expect(JSON.stringify(registered.map((r) => plain(r.inputs)))).not.to.include("cinelake");
  });

  it("takes the address as an output too (e.g. another resource's), checking it once known", async () => {
    new LakeAlerts("alerts", { stackName: "alice", glueJobNames: JOBS, email: pulumi.output("ops@example.com") });
    await settle();
    expect(oneOfType("aws:sns/topicSubscription:TopicSubscription").inputs).to.include({
      protocol: "email",
      endpoint: "ops@example.com",
    });
  });

  for (const [what, args, message] of [
    ["a bad address", { email: "nope" }, /^email: "nope" is not an e-mail address/],
    ["no jobs", { glueJobNames: [] }, /^glueJobNames: is empty/],
    ["a bad name prefix", { namePrefix: "x" }, /^namePrefix: "x" is not a name prefix/],
    ["a bad stack name", { stackName: "Alice" }, /^stackName: "Alice"/],
  ] as [string, Partial<LakeAlertsArgs>, RegExp][])
    it(`refuses ${what} before registering anything`, async () => {
      expect(() => new LakeAlerts("bad", { stackName: "alice", glueJobNames: JOBS, ...args })).to.throw(
        ConfigError,
        message,
      );
      await settle(3);
      expect(registered).to.deep.equal([]);
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
