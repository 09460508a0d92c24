/**
 * DataLakeBucket: the one bucket per stack that holds the Raw, Trusted and Refined zones, secure by default.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { datasetPrefix, lakeKey, s3Uri, type DatasetLocation, type LakePath, type Zone } from "../lake/paths";
import { componentOptions, componentType, lakeComponentSettings, type LakeComponentArgs } from "./component";
import { ConfigError, DEFAULT_NAME_PREFIX, lakeBucketName } from "./naming";
import { childOptions } from "./resourceOptions";
import { denyInsecureTransportStatement, extraStatements, policyDocument, type PolicyStatementArg } from "./policy";

/** What a component needs to know about the lake bucket; a {@link DataLakeBucket} satisfies it. */
export interface LakeBucketRef {
  /** The bucket's name. */
  bucketName: pulumi.Input<string>;
  /** The bucket's ARN. */
  bucketArn: pulumi.Input<string>;
  /** The KMS key encrypting the bucket, when it is not SSE-S3. */
  kmsKeyArn?: pulumi.Input<string | undefined>;
}

/** The arguments of a {@link DataLakeBucket}. */
export interface DataLakeBucketArgs extends LakeComponentArgs {
  /** An extra part that makes the name unique in S3's global namespace (an account id, a team); none by default. */
  bucketSuffix?: string;
  /** Encrypt with this KMS key (SSE-KMS, bucket keys on) instead of SSE-S3. */
  kmsKeyArn?: pulumi.Input<string>;
  /** Let `pulumi destroy` delete a bucket that still holds objects. Off by default: a lake is not thrown away lightly. */
  forceDestroy?: boolean;
  /** Keep object versions (default true): an overwritten or deleted Raw file can be recovered. */
  versioning?: boolean;
  /** Days after which a replaced version is deleted (default 30). */
  noncurrentVersionDays?: number;
  /** Keep replaced versions forever instead of deleting them after `noncurrentVersionDays` (default false). */
  keepNoncurrentVersions?: boolean;
  /** Days after which an unfinished multipart upload is aborted (default 7), so failed uploads cost nothing. */
  abortIncompleteUploadDays?: number;
  /** Extra statements for the bucket policy (e.g. a cross-account reader); the TLS-only deny is always kept. */
  extraPolicyStatements?: pulumi.Input<PolicyStatementArg>[];
}

function checkDays(value: number, setting: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new ConfigError(setting, `${value} is not a whole number of days ≥ 1`, `pass e.g. ${setting}: 7`);
  return value;
}

/** One S3 bucket per stack holding the lake's zones: encrypted, private, TLS-only, versioned, self-cleaning uploads. */
export class DataLakeBucket extends pulumi.ComponentResource implements LakeBucketRef {
  /** The bucket's name (`cinelake-<stack>-lake`). */
  readonly bucketName: pulumi.Output<string>;
  /** The bucket's ARN. */
  readonly bucketArn: pulumi.Output<string>;
  /** The KMS key encrypting the bucket, or undefined for SSE-S3. */
  readonly kmsKeyArn: pulumi.Output<string | undefined>;
  /** `s3://<bucket>/Raw/`. */
  readonly rawUri: pulumi.Output<string>;
  /** `s3://<bucket>/Trusted/`. */
  readonly trustedUri: pulumi.Output<string>;
  /** `s3://<bucket>/Refined/`. */
  readonly refinedUri: pulumi.Output<string>;
  /** The bucket's name as computed at construction, for places that need a plain string (it equals `bucketName`). */
  readonly plannedBucketName: string;
  /** The bucket resource itself (for a reuser's extra configuration). */
  readonly bucket: aws.s3.Bucket;

  /** Creates the bucket and its security settings; throws a {@link ConfigError} on bad arguments before AWS is called. */
  constructor(name: string, args: DataLakeBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate everything first: nothing is registered if an argument is wrong. The bucket name is checked before
    // the prefix on its own, so a prefix S3 refuses is reported with S3's reason.
    const bucketName = lakeBucketName(args.stackName ?? pulumi.getStack(), {
      prefix: args.namePrefix ?? DEFAULT_NAME_PREFIX,
      suffix: args.bucketSuffix,
    });
    const { tags } = lakeComponentSettings(args);
    const versioning = args.versioning ?? true;
    if (args.keepNoncurrentVersions && args.noncurrentVersionDays !== undefined)
      throw new ConfigError(
        "noncurrentVersionDays",
        "is set while keepNoncurrentVersions keeps replaced versions forever",
        "set only one of them",
      );
    const noncurrentDays = args.keepNoncurrentVersions
      ? undefined
      : checkDays(args.noncurrentVersionDays ?? 30, "noncurrentVersionDays");
    const abortDays = checkDays(args.abortIncompleteUploadDays ?? 7, "abortIncompleteUploadDays");

    super(componentType("DataLakeBucket"), name, args, componentOptions("cinelake:storage:DataLakeBucket", opts));
    const child = childOptions(this);

    this.plannedBucketName = bucketName;
    this.bucket = new aws.s3.Bucket(
      `${name}`,
      { bucket: bucketName, forceDestroy: args.forceDestroy ?? false, tags },
      child,
    );
    const bucketId = this.bucket.id;

    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      {
        bucket: bucketId,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      child,
    );
    new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      { bucket: bucketId, rule: { objectOwnership: "BucketOwnerEnforced" } },
      child,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket: bucketId,
        rules: [
          args.kmsKeyArn
            ? {
                applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn },
                // Bucket keys cut KMS requests (and their cost) by orders of magnitude for many small objects.
                bucketKeyEnabled: true,
              }
            : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
        ],
      },
      child,
    );
    const versioningResource = new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket: bucketId, versioningConfiguration: { status: versioning ? "Enabled" : "Suspended" } },
      child,
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket: bucketId,
        rules: [
          {
            id: "abort-incomplete-multipart-uploads",
            status: "Enabled",
            filter: {},
            abortIncompleteMultipartUpload: { daysAfterInitiation: abortDays },
          },
          ...(versioning && noncurrentDays !== undefined
            ? [
                {
                  id: "expire-noncurrent-versions",
                  status: "Enabled",
                  filter: {},
                  noncurrentVersionExpiration: { noncurrentDays },
                },
              ]
            : []),
        ],
      },
      // S3 applies lifecycle rules against the versioning state, so set that first.
      childOptions(this, { dependsOn: [versioningResource] }),
    );
    new aws.s3.BucketPolicy(
      `${name}-policy`,
      {
        bucket: bucketId,
        policy: pulumi
          .all([this.bucket.arn, pulumi.output(args.extraPolicyStatements ?? [])])
          .apply(([arn, extras]) =>
            JSON.stringify(policyDocument([denyInsecureTransportStatement(arn), ...extraStatements(extras)])),
          ),
      },
      // With blockPublicPolicy on first, a mistakenly public extra statement is refused rather than briefly applied.
      childOptions(this, { dependsOn: [publicAccess] }),
    );

    this.bucketName = this.bucket.bucket;
    this.bucketArn = this.bucket.arn;
    this.kmsKeyArn = pulumi.output(args.kmsKeyArn);
    this.rawUri = this.zoneUri("Raw");
    this.trustedUri = this.zoneUri("Trusted");
    this.refinedUri = this.zoneUri("Refined");
    this.registerOutputs({
      bucketName: this.bucketName,
      bucketArn: this.bucketArn,
      rawUri: this.rawUri,
      trustedUri: this.trustedUri,
      refinedUri: this.refinedUri,
    });
  }

  /** The object key of a lake path: `Raw/Local/CSV/Movies/2022/05/02/movies.csv` (validated by `lakePaths`). */
  key(path: LakePath): string {
    return lakeKey(path);
  }

  /** The `s3://` URI of a lake path. */
  uri(path: LakePath): pulumi.Output<string> {
    const key = lakeKey(path);
    return this.bucketName.apply((bucket) => s3Uri(bucket, key));
  }

  /** The `s3://` URI of a prefix (from `lakePaths`, or a dataset location), ending in `/`. */
  prefixUri(prefix: string | DatasetLocation): pulumi.Output<string> {
    const key = typeof prefix === "string" ? prefix : datasetPrefix(prefix);
    if (key !== "" && !key.endsWith("/"))
      throw new ConfigError("prefix", `"${key}" does not end with "/"`, "build prefixes with lake/paths.ts");
    if (key.split("/").some((part) => part === ".."))
      throw new ConfigError("prefix", `"${key}" contains ".."`, "build prefixes with lake/paths.ts");
    return this.bucketName.apply((bucket) => s3Uri(bucket, key));
  }

  private zoneUri(zone: Zone): pulumi.Output<string> {
    return this.prefixUri(`${zone}/`);
  }
}
