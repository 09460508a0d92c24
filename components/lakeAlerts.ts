/**
 * LakeAlerts: one SNS topic per stack that hears when the lake's runs fail — a Glue job run that fails or times out
 * (which includes a run report that does not balance: the jobs fail rather than write one), a message arriving in the
 * ApiIngestor's on-failure queue, and a Lambda slice that errors — with an optional e-mail subscription. Only AWS's
 * own mechanisms: EventBridge for Glue's state changes, CloudWatch alarms for the Lambda and the queue.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { componentOptions, componentType, lakeComponentSettings, type LakeComponentArgs } from "./component";
import { ConfigError, NAME_LIMITS, physicalName } from "./naming";
import { policyDocument, type PolicyStatement } from "./policy";
import { childOptions } from "./resourceOptions";

/** The Glue job states that mean a run did not finish its work (STOPPED is someone's deliberate act, not an alert). */
export const GLUE_FAILED_STATES = ["FAILED", "TIMEOUT", "ERROR"] as const;

/** The arguments of a {@link LakeAlerts}. */
export interface LakeAlertsArgs extends LakeComponentArgs {
  /** The Glue jobs whose failed runs alert (the SparkJobs' `jobName`s). */
  glueJobNames: pulumi.Input<string>[];
  /** The ApiIngestor's Lambda, whose errors alert. */
  lambdaFunctionName?: pulumi.Input<string>;
  /** The ApiIngestor's on-failure queue, whose messages alert. */
  failureQueueName?: pulumi.Input<string>;
  /**
   * An e-mail address to subscribe (AWS sends a confirmation mail first); none by default. A plain value is checked
   * at construction, an output when it is known.
   */
  email?: pulumi.Input<string>;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Checks an alert e-mail address (one address; SNS confirms it by mail). */
export function checkAlertEmail(email: string, setting = "email"): string {
  if (!EMAIL.test(email))
    throw new ConfigError(setting, `"${email}" is not an e-mail address`, "give one address, e.g. alice@example.com");
  return email;
}

/**
 * The topic policy: EventBridge may publish for the stack's Glue rule and CloudWatch for its alarms, each only for the
 * named source (`aws:SourceArn`), so no other rule or alarm of the account can post to the topic.
 */
export function alertTopicStatements(topicArn: string, ruleArn: string, alarmArns: string[]): PolicyStatement[] {
  const publishFrom = (Sid: string, service: string, sources: string | string[]): PolicyStatement => ({
    Sid,
    Effect: "Allow",
    Principal: { Service: service },
    Action: "sns:Publish",
    Resource: topicArn,
    Condition: { ArnEquals: { "aws:SourceArn": sources } },
  });
  return [
    publishFrom("GlueFailures", "events.amazonaws.com", ruleArn),
    ...(alarmArns.length ? [publishFrom("Alarms", "cloudwatch.amazonaws.com", alarmArns)] : []),
  ];
}

/** The stack's alert topic and what publishes to it. */
export class LakeAlerts extends pulumi.ComponentResource {
  /** The SNS topic's ARN (subscribe more endpoints to it). */
  readonly topicArn: pulumi.Output<string>;
  /** The topic's name (`cinelake-<stack>-alerts`). */
  readonly topicName: pulumi.Output<string>;
  /** The name of the EventBridge rule catching the Glue jobs' failed runs. */
  readonly glueRuleName: pulumi.Output<string>;
  /** That rule's ARN. */
  readonly glueRuleArn: pulumi.Output<string>;
  /** The CloudWatch alarms' names. */
  readonly alarmNames: pulumi.Output<string[]>;
  /** The CloudWatch alarms' ARNs. */
  readonly alarmArns: pulumi.Output<string[]>;

  /** Creates the topic, the rule and the alarms; bad arguments fail here, before AWS is called. */
  constructor(name: string, args: LakeAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate everything first: nothing is registered if an argument is wrong.
    const { stackName: stack, namePrefix: prefix, tags } = lakeComponentSettings(args);
    if (typeof args.email === "string") checkAlertEmail(args.email);
    if (!Array.isArray(args.glueJobNames) || args.glueJobNames.length === 0)
      throw new ConfigError("glueJobNames", "is empty", "pass the SparkJobs' jobName outputs");
    const topicName = physicalName(stack, ["alerts"], { maxLength: 256, prefix });
    const ruleName = physicalName(stack, ["glue-failures"], { maxLength: NAME_LIMITS.eventRule, prefix });
    const alarmName = (suffix: string) => physicalName(stack, [suffix], { maxLength: 255, prefix });
    // The longest alarm name, checked now so an over-long one fails before anything is registered.
    alarmName("api-ingestor-failures");

    super(componentType("LakeAlerts"), name, {}, componentOptions("cinelake:ops:LakeAlerts", opts));
    const child = childOptions(this);

    const topic = new aws.sns.Topic(
      `${name}-topic`,
      { name: topicName, displayName: `${prefix} ${stack}`, tags },
      child,
    );
    const rule = new aws.cloudwatch.EventRule(
      `${name}-glue-failures`,
      {
        name: ruleName,
        description: `A Glue job run of the ${stack} lake failed or timed out`,
        eventPattern: pulumi.all(args.glueJobNames).apply((jobNames) =>
          JSON.stringify({
            source: ["aws.glue"],
            "detail-type": ["Glue Job State Change"],
            detail: { jobName: jobNames, state: [...GLUE_FAILED_STATES] },
          }),
        ),
        tags,
      },
      child,
    );

    const alarms: aws.cloudwatch.MetricAlarm[] = [];
    // Any error in a five-minute window; no data (no invocation) is not an error.
    const alarm = (suffix: string, settings: Omit<aws.cloudwatch.MetricAlarmArgs, "name" | "alarmActions">) =>
      alarms.push(
        new aws.cloudwatch.MetricAlarm(
          `${name}-${suffix}`,
          {
            ...settings,
            name: alarmName(suffix),
            period: 300,
            evaluationPeriods: 1,
            threshold: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            treatMissingData: "notBreaching",
            alarmActions: [topic.arn],
            tags,
          },
          child,
        ),
      );
    if (args.lambdaFunctionName !== undefined)
      alarm("api-ingestor-errors", {
        alarmDescription: `A slice of the ${stack} lake's ApiIngestor failed (see its log group)`,
        namespace: "AWS/Lambda",
        metricName: "Errors",
        statistic: "Sum",
        dimensions: { FunctionName: args.lambdaFunctionName },
      });
    if (args.failureQueueName !== undefined)
      alarm("api-ingestor-failures", {
        alarmDescription: `A failed invocation of the ${stack} lake's ApiIngestor reached its on-failure queue`,
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        statistic: "Maximum",
        dimensions: { QueueName: args.failureQueueName },
      });

    new aws.sns.TopicPolicy(
      `${name}-topic-policy`,
      {
        arn: topic.arn,
        policy: pulumi
          .all([topic.arn, rule.arn, pulumi.all(alarms.map((a) => a.arn))])
          .apply(([topicArn, ruleArn, alarmArns]) =>
            JSON.stringify(policyDocument(alertTopicStatements(topicArn, ruleArn, alarmArns))),
          ),
      },
      child,
    );
    new aws.cloudwatch.EventTarget(`${name}-glue-failures`, { rule: rule.name, arn: topic.arn }, child);
    if (args.email !== undefined)
      new aws.sns.TopicSubscription(
        `${name}-email`,
        {
          topic: topic.arn,
          protocol: "email",
          // An output is checked once known; a plain value was checked above.
          endpoint: pulumi.output(args.email).apply((email) => checkAlertEmail(email)),
        },
        child,
      );

    this.topicArn = topic.arn;
    this.topicName = topic.name;
    this.glueRuleName = rule.name;
    this.glueRuleArn = rule.arn;
    this.alarmNames = pulumi.all(alarms.map((a) => a.name));
    this.alarmArns = pulumi.all(alarms.map((a) => a.arn));
    this.registerOutputs({
      topicArn: this.topicArn,
      topicName: this.topicName,
      glueRuleName: this.glueRuleName,
      glueRuleArn: this.glueRuleArn,
      alarmNames: this.alarmNames,
      alarmArns: this.alarmArns,
    });
  }
}
