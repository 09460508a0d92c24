/**
 * Who may use the Dashboard's QuickSight assets: the owning principal (its ARN parsed and checked, its account and
 * existence checked at deploy time, its owner action sets) and the least-privilege statements of the role QuickSight
 * assumes for the Athena data source. Creates no resource; the Dashboard component wires it.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { SYSTEM_PREFIXES } from "../lake/paths";
import { ConfigError } from "./naming";
import { s3PrefixPolicyStatements, type PolicyStatement } from "./policy";

/** A QuickSight user or group ARN, parsed. */
export interface QuickSightPrincipal {
  arn: string;
  /** QuickSight's identity region (where users live; may differ from the dashboard's region). */
  region: string;
  accountId: string;
  kind: "user" | "group";
  namespace: string;
  name: string;
}

const PRINCIPAL_ARN =
  /^arn:aws[a-z-]*:quicksight:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):(user|group)\/([A-Za-z0-9._-]+)\/(\S+)$/;

/** Parses and checks a QuickSight principal ARN (`arn:aws:quicksight:<region>:<account>:user|group/<namespace>/<name>`). */
export function parseQuickSightPrincipal(arn: string, setting = "principalArn"): QuickSightPrincipal {
  const match = PRINCIPAL_ARN.exec(typeof arn === "string" ? arn : "");
  if (!match)
    throw new ConfigError(
      setting,
      `"${String(arn)}" is not a QuickSight user or group ARN`,
      "pass e.g. arn:aws:quicksight:us-east-1:123456789012:user/default/alice " +
        "(find it with `aws quicksight list-users --aws-account-id <account> --namespace default`)",
    );
  const [, region, accountId, kind, namespace, name] = match as unknown as [
    string,
    string,
    string,
    "user" | "group",
    string,
    string,
  ];
  return { arn, region, accountId, kind, namespace, name };
}

/** What the owner of each QuickSight asset may do (QuickSight's documented "owner" action sets). */
export const OWNER_ACTIONS = {
  dataSource: [
    "quicksight:DescribeDataSource",
    "quicksight:DescribeDataSourcePermissions",
    "quicksight:PassDataSource",
    "quicksight:UpdateDataSource",
    "quicksight:DeleteDataSource",
    "quicksight:UpdateDataSourcePermissions",
  ],
  dataSet: [
    "quicksight:DescribeDataSet",
    "quicksight:DescribeDataSetPermissions",
    "quicksight:PassDataSet",
    "quicksight:DescribeIngestion",
    "quicksight:ListIngestions",
    "quicksight:UpdateDataSet",
    "quicksight:DeleteDataSet",
    "quicksight:CreateIngestion",
    "quicksight:CancelIngestion",
    "quicksight:UpdateDataSetPermissions",
  ],
  analysis: [
    "quicksight:RestoreAnalysis",
    "quicksight:UpdateAnalysisPermissions",
    "quicksight:DeleteAnalysis",
    "quicksight:DescribeAnalysisPermissions",
    "quicksight:QueryAnalysis",
    "quicksight:DescribeAnalysis",
    "quicksight:UpdateAnalysis",
  ],
  dashboard: [
    "quicksight:DescribeDashboard",
    "quicksight:ListDashboardVersions",
    "quicksight:UpdateDashboardPermissions",
    "quicksight:QueryDashboard",
    "quicksight:UpdateDashboard",
    "quicksight:DeleteDashboard",
    "quicksight:DescribeDashboardPermissions",
    "quicksight:UpdateDashboardPublishedVersion",
  ],
} as const;

// --- The data source's role (pure) -----------------------------------------------------------------------------

/** What {@link quickSightRoleStatements} scopes the role to. */
export interface QuickSightRoleScope {
  /** The lake bucket's ARN (its partition is used for every other ARN). */
  bucketArn: string;
  /** The lake bucket's KMS key, when it is not SSE-S3. */
  kmsKeyArn?: string;
  /** The deploying account. */
  accountId: string;
  /** The stack's region (Athena's and Glue's). */
  region: string;
  /** The StarSchema's Athena workgroup. */
  workgroup: string;
  /** The Glue database of the Refined tables and views. */
  database: string;
  /** The prefixes of the tables the views read (e.g. `Refined/fact_title/`): the only lake data the role may read. */
  tablePrefixes: string[];
}

/** The Athena actions QuickSight calls on the workgroup (AWSQuicksightAthenaAccess's, minus the deprecated ones). */
export const QUICKSIGHT_ATHENA_WORKGROUP_ACTIONS = [
  "athena:StartQueryExecution",
  "athena:GetQueryExecution",
  "athena:BatchGetQueryExecution",
  "athena:GetQueryResults",
  "athena:GetQueryResultsStream",
  "athena:StopQueryExecution",
  "athena:GetWorkGroup",
] as const;

/** The Athena actions on the data catalog QuickSight browses (databases, tables, columns). */
export const QUICKSIGHT_ATHENA_CATALOG_ACTIONS = [
  "athena:GetDataCatalog",
  "athena:ListDatabases",
  "athena:GetDatabase",
  "athena:ListTableMetadata",
  "athena:GetTableMetadata",
] as const;

/**
 * The Athena list actions that take no resource: IAM only matches them against `Resource: "*"`, so scoping them to
 * an ARN silently denies them (QuickSight then cannot list the workgroups and catalogs when it validates the source).
 */
export const QUICKSIGHT_ATHENA_UNSCOPED_ACTIONS = ["athena:ListDataCatalogs", "athena:ListWorkGroups"] as const;

/**
 * The statements of the role QuickSight assumes for the Athena data source: read the tables' prefixes and read/write
 * Athena's results prefix (plus `s3:GetBucketLocation` on the bucket, which Athena calls to check the output location
 * before running a query), query the stack's workgroup, browse the AwsDataCatalog, read the stack's Glue database,
 * and the two list actions that only exist on `*`. Pure, so policy linters and tests can check it without Pulumi.
 */
export function quickSightRoleStatements(scope: QuickSightRoleScope): PolicyStatement[] {
  const partition = /^arn:(aws[a-z-]*):/.exec(scope.bucketArn)?.[1] ?? "aws";
  const { accountId: account, region, workgroup, database } = scope;
  return [
    ...s3PrefixPolicyStatements(scope.bucketArn, {
      read: [...scope.tablePrefixes, SYSTEM_PREFIXES.athenaResults],
      write: [SYSTEM_PREFIXES.athenaResults],
      ...(scope.kmsKeyArn ? { kmsKeyArn: scope.kmsKeyArn } : {}),
    }),
    { Sid: "LakeBucketLocation", Effect: "Allow", Action: ["s3:GetBucketLocation"], Resource: [scope.bucketArn] },
    {
      Sid: "AthenaWorkgroup",
      Effect: "Allow",
      Action: [...QUICKSIGHT_ATHENA_WORKGROUP_ACTIONS],
      Resource: [`arn:${partition}:athena:${region}:${account}:workgroup/${workgroup}`],
    },
    {
      Sid: "AthenaCatalog",
      Effect: "Allow",
      Action: [...QUICKSIGHT_ATHENA_CATALOG_ACTIONS],
      Resource: [`arn:${partition}:athena:${region}:${account}:datacatalog/AwsDataCatalog`],
    },
    { Sid: "AthenaList", Effect: "Allow", Action: [...QUICKSIGHT_ATHENA_UNSCOPED_ACTIONS], Resource: "*" },
    {
      Sid: "GlueCatalogRead",
      Effect: "Allow",
      Action: [
        "glue:GetDatabase",
        "glue:GetDatabases",
        "glue:GetTable",
        "glue:GetTables",
        "glue:GetPartition",
        "glue:GetPartitions",
        "glue:BatchGetPartition",
      ],
      Resource: [
        `arn:${partition}:glue:${region}:${account}:catalog`,
        `arn:${partition}:glue:${region}:${account}:database/${database}`,
        `arn:${partition}:glue:${region}:${account}:table/${database}/*`,
      ],
    },
  ];
}

// --- The principal's checks at deploy time ----------------------------------------------------------------------

/** Fails (with the fix) when the principal belongs to another account than the one the stack deploys to. */
export function checkPrincipalAccount(principal: QuickSightPrincipal, account: string): void {
  if (account !== principal.accountId)
    throw new ConfigError(
      "principalArn",
      `names account ${principal.accountId} but the stack deploys to ${account}`,
      "use a QuickSight user or group of the deploying account",
    );
}

/**
 * The principal's ARN once it is known to belong to the deploying account and (unless `lookUp` is false) to exist in
 * QuickSight — which also proves the account's subscription. The account is checked first: a principal of another
 * account would otherwise fail the lookup with a misleading "no subscription". Consume the result in a resource's
 * input (the Dashboard puts it in the DataSource's tags): an output nothing consumes would reject unhandled.
 */
export function checkedPrincipal(
  principal: QuickSightPrincipal,
  accountId: pulumi.Input<string>,
  lookUp: boolean,
  opts: pulumi.InvokeOptions,
): pulumi.Output<string> {
  return pulumi.output(accountId).apply((account): Promise<string> => {
    checkPrincipalAccount(principal, account);
    return lookUp ? checkQuickSightPrincipal(principal, opts) : Promise.resolve(principal.arn);
  });
}

/**
 * Looks the principal up in QuickSight; fails with the fix when the account has no QuickSight subscription or the
 * principal does not exist (the lookup is the cheapest call that needs both).
 */
export function checkQuickSightPrincipal(principal: QuickSightPrincipal, opts: pulumi.InvokeOptions): Promise<string> {
  const lookup =
    principal.kind === "user"
      ? aws.quicksight.getQuicksightUser(
          {
            userName: principal.name,
            namespace: principal.namespace,
            awsAccountId: principal.accountId,
            region: principal.region,
          },
          opts,
        )
      : aws.quicksight.getQuicksightGroup(
          {
            groupName: principal.name,
            namespace: principal.namespace,
            awsAccountId: principal.accountId,
            region: principal.region,
          },
          opts,
        );
  return (lookup as Promise<unknown>).then(
    () => principal.arn,
    (error: Error) => {
      throw new ConfigError(
        "principalArn",
        `QuickSight could not find ${principal.kind} ${principal.namespace}/${principal.name} in account ` +
          `${principal.accountId} (${error.message.split("\n")[0]}) — the account may have no QuickSight subscription`,
        `subscribe once per account and create the ${principal.kind} (docs/quicksight.md); check with ` +
          `\`aws quicksight describe-account-subscription --aws-account-id ${principal.accountId}\``,
      );
    },
  );
}
