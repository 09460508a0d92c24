/**
 * BatchIngestor: the container that loads movies.csv and series.csv into the Raw zone (runtime/batch-ingestor) — its
 * ECR repository, the image built at deploy time, and an IAM policy allowing only what ingestion needs.
 */
import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { prepareImageContext } from "../runtime/batch-ingestor/build";
import { componentOptions, componentType, lakeComponentSettings, type LakeComponentArgs } from "./component";
import type { LakeBucketRef } from "./dataLakeBucket";
import { DATASETS, datasetPrefix, type DatasetLocation } from "../lake/paths";
import { ConfigError, NAME_LIMITS, physicalName } from "./naming";
import { childOptions } from "./resourceOptions";
import {
  extraStatements,
  policyDocument,
  principalTrustPolicy,
  s3PrefixPolicyStatements,
  type PolicyStatementArg,
} from "./policy";

/** A dataset the container loads: the CSV spec it reads, and the Raw prefix it writes. */
export enum BatchSpec {
  /** movies.csv, into `Raw/Local/CSV/Movies/`. */
  Movies = "Movies",
  /** series.csv, into `Raw/Local/CSV/Series/`. */
  Series = "Series",
}

/** The datasets the container writes, by spec. */
export const BATCH_DATASETS: Record<BatchSpec, DatasetLocation> = {
  [BatchSpec.Movies]: DATASETS.rawMoviesCsv,
  [BatchSpec.Series]: DATASETS.rawSeriesCsv,
};

/** The environment variable the container reads the bucket name from. */
export const BATCH_BUCKET_ENV = "LAKE_BUCKET";

/** The Docker build context of the container image. */
export interface BatchImageContext {
  /** The build context folder. */
  context: string;
  /** The Dockerfile's path. */
  dockerfile: string;
}

/** The arguments of a {@link BatchIngestor}. */
export interface BatchIngestorArgs extends LakeComponentArgs {
  /** The lake bucket (a DataLakeBucket, or its name, ARN and KMS key). */
  bucket: LakeBucketRef;
  /**
   * Attach the ingestion policy to this existing IAM role instead of creating one. By default a new role
   * `cinelake-<stack>-batch-ingestor` is created that principals of this account may assume (no long-lived access
   * keys are created, so none end up in the state).
   */
  attachToRoleName?: pulumi.Input<string>;
  /** Attach the ingestion policy to this existing IAM user instead of creating a role. */
  attachToUserName?: pulumi.Input<string>;
  /** Who may assume the new role (default: the account's principals, `arn:aws:iam::<account>:root`). */
  trustedPrincipalArns?: pulumi.Input<string>[];
  /** The specs the container may write (default both `Movies` and `Series`). */
  specs?: BatchSpec[];
  /** Build the image at deploy time (default true); false creates only the repository and the policy. */
  buildImage?: boolean;
  /**
   * The Docker build context and Dockerfile. Default: `prepareImageContext()` of runtime/batch-ingestor/build.ts,
   * which bundles the CLI with esbuild at deploy time next to its Dockerfile.
   */
  image?: BatchImageContext;
  /** The image platform: `linux/amd64` (default) or `linux/arm64`. */
  platform?: string;
  /** The host folder holding the CSVs in the printed `docker run` line (default `"$PWD"`). */
  hostDataDir?: string;
  /** Let `pulumi destroy` delete a repository that still holds images (default false). */
  forceDestroy?: boolean;
  /** Extra statements for the policy, for what a reuser needs and this component did not foresee. */
  extraPolicyStatements?: pulumi.Input<PolicyStatementArg>[];
}

/**
 * The `docker run` line that ingests the CSVs of `hostDataDir`: credentials are forwarded from the caller's environment
 * by name (`-e AWS_ACCESS_KEY_ID` without a value), so the line itself never holds a secret.
 */
export function dockerRunCommand(options: { image: string; bucket: string; region: string; hostDataDir: string }) {
  return [
    "docker run --rm",
    `-v ${options.hostDataDir}:/data:ro`,
    `-e ${BATCH_BUCKET_ENV}=${options.bucket}`,
    `-e AWS_REGION=${options.region}`,
    "-e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY -e AWS_SESSION_TOKEN",
    options.image,
  ].join(" ");
}

/** The ECR repository, the container image and a least-privilege policy for loading the CSVs into the Raw zone. */
export class BatchIngestor extends pulumi.ComponentResource {
  /** The ECR repository's URL. */
  readonly repositoryUrl: pulumi.Output<string>;
  /** The ECR repository's name (`cinelake-<stack>-batch-ingestor`). */
  readonly repositoryName: pulumi.Output<string>;
  /** The ECR repository's ARN. */
  readonly repositoryArn: pulumi.Output<string>;
  /** The pushed image (`<repository>@sha256:...`), or the repository's `:latest` when the image is not built here. */
  readonly imageUri: pulumi.Output<string>;
  /** The managed policy's ARN (attach it to more principals if needed). */
  readonly policyArn: pulumi.Output<string>;
  /** The policy document, as JSON (for review and tests). */
  readonly policyJson: pulumi.Output<string>;
  /** The ARN of the role created for running the container, if one was created. */
  readonly roleArn: pulumi.Output<string | undefined>;
  /** The name of that role, if one was created. */
  readonly roleName: pulumi.Output<string | undefined>;
  /** The ready-to-run `docker run -v <dir>:/data ... <image>` line (no secrets in it). */
  readonly dockerRunCommand: pulumi.Output<string>;
  /** The `aws ecr get-login-password | docker login ...` line to run before pulling the image. */
  readonly dockerLoginCommand: pulumi.Output<string>;

  /** Creates the repository, image and policy; throws a {@link ConfigError} on bad arguments before AWS is called. */
  constructor(name: string, args: BatchIngestorArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate everything first: nothing is registered if an argument is wrong.
    const { stackName: stack, namePrefix: prefix, tags } = lakeComponentSettings(args);
    const specs = args.specs ?? [BatchSpec.Movies, BatchSpec.Series];
    if (specs.length === 0) throw new ConfigError("specs", "is empty", 'list at least one of "Movies", "Series"');
    for (const spec of specs)
      if (!(spec in BATCH_DATASETS))
        throw new ConfigError("specs", `"${spec}" is not a batch dataset`, 'use "Movies" and/or "Series"');
    const platform = args.platform ?? "linux/amd64";
    if (!/^linux\/(amd64|arm64)$/.test(platform))
      throw new ConfigError("platform", `"${platform}" is not supported`, 'use "linux/amd64" or "linux/arm64"');
    if (args.attachToRoleName !== undefined && args.attachToUserName !== undefined)
      throw new ConfigError(
        "attachToRoleName",
        "and attachToUserName are both set",
        "attach the policy to one of them",
      );
    if (args.trustedPrincipalArns !== undefined && (args.attachToRoleName ?? args.attachToUserName) !== undefined)
      throw new ConfigError(
        "trustedPrincipalArns",
        "is set, but no role is created when the policy is attached to an existing role or user",
        "drop trustedPrincipalArns, or attachToRoleName/attachToUserName",
      );
    const repositoryName = physicalName(stack, ["batch-ingestor"], { maxLength: NAME_LIMITS.ecr, prefix });
    const roleName = physicalName(stack, ["batch-ingestor"], { maxLength: NAME_LIMITS.iamRole, prefix });
    const policyName = physicalName(stack, ["batch-ingestor"], { maxLength: NAME_LIMITS.iamPolicy, prefix });
    const prefixes = [...new Set(specs)].map((spec) => datasetPrefix(BATCH_DATASETS[spec]));

    super(componentType("BatchIngestor"), name, {}, componentOptions("cinelake:ingest:BatchIngestor", opts));
    const child = childOptions(this);

    const repository = new aws.ecr.Repository(
      `${name}-repo`,
      {
        name: repositoryName,
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [{ encryptionType: "AES256" }],
        // Mutable: each deploy pushes a new digest; the digest, not a tag, is what the docker run line pins.
        imageTagMutability: "MUTABLE",
        forceDelete: args.forceDestroy ?? false,
        tags,
      },
      child,
    );
    new aws.ecr.LifecyclePolicy(
      `${name}-repo-lifecycle`,
      {
        repository: repository.name,
        policy: JSON.stringify({
          rules: [
            {
              rulePriority: 1,
              description: "Keep the last 5 images",
              selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 5 },
              action: { type: "expire" },
            },
          ],
        }),
      },
      child,
    );
    this.repositoryUrl = repository.repositoryUrl;
    this.repositoryName = repository.name;
    this.repositoryArn = repository.arn;
    if (args.buildImage ?? true) {
      const { context, dockerfile } = args.image ?? prepareImageContext();
      // Pushing needs the deployer's short-lived ECR credentials (valid 12 hours), fetched at each `pulumi up`.
      const login = aws.ecr.getAuthorizationTokenOutput({ registryId: repository.registryId }, child);
      const image = new docker.Image(
        `${name}-image`,
        {
          imageName: pulumi.interpolate`${repository.repositoryUrl}:latest`,
          build: { context, dockerfile, platform },
          registry: {
            server: repository.repositoryUrl,
            username: login.userName,
            password: pulumi.secret(login.password),
          },
        },
        child,
      );
      // The digest, not the tag: the printed `docker run` line runs exactly the image this update pushed.
      this.imageUri = image.repoDigest;
    } else {
      this.imageUri = pulumi.interpolate`${repository.repositoryUrl}:latest`;
    }

    this.policyJson = pulumi
      .all([args.bucket.bucketArn, args.bucket.kmsKeyArn, pulumi.output(args.extraPolicyStatements ?? [])])
      .apply(([bucketArn, kmsKeyArn, extras]) =>
        JSON.stringify(
          policyDocument([
            // Read back what it wrote (idempotency and checksum checks), write with multipart uploads and abort
            // them on failure, delete an object whose checksum did not match. The bucket-wide s3:ListBucket this
            // includes is what its HeadBucket check and its HeadObject on a not-yet-written key need. Its writes are
            // conditional (If-None-Match / If-Match: s3:PutObject alone), and so is the delete on an unversioned
            // bucket (If-Match on its own ETag: s3:DeleteObject with s3:GetObject, both granted here).
            ...s3PrefixPolicyStatements(bucketArn, { read: prefixes, write: prefixes, delete: prefixes, kmsKeyArn }),
            // The runtime keeps each file's SHA-256 as the object's `sha256` tag (written after the upload is
            // verified) and reads it back for idempotency.
            {
              Sid: "TagObjects",
              Effect: "Allow",
              Action: ["s3:GetObjectTagging", "s3:PutObjectTagging"],
              Resource: prefixes.map((prefix) => `${bucketArn}/${prefix}*`),
            },
            // On the versioned lake bucket a run that wrote a corrupt object removes exactly its own version, by the
            // VersionId its write returned, so the previous version is current again and another run's object is
            // never touched (a plain delete would hide both behind a delete marker).
            {
              Sid: "DeleteOwnVersions",
              Effect: "Allow",
              Action: ["s3:DeleteObjectVersion"],
              Resource: prefixes.map((prefix) => `${bucketArn}/${prefix}*`),
            },
            ...extraStatements(extras),
          ]),
        ),
      );
    const policy = new aws.iam.Policy(
      `${name}-policy`,
      { name: policyName, policy: this.policyJson, description: `Loads CSVs into the ${stack} lake's Raw zone`, tags },
      child,
    );
    this.policyArn = policy.arn;

    let role: aws.iam.Role | undefined;
    if (args.attachToRoleName !== undefined) {
      new aws.iam.RolePolicyAttachment(`${name}-attach`, { role: args.attachToRoleName, policyArn: policy.arn }, child);
    } else if (args.attachToUserName !== undefined) {
      new aws.iam.UserPolicyAttachment(`${name}-attach`, { user: args.attachToUserName, policyArn: policy.arn }, child);
    } else {
      const account = aws.getCallerIdentityOutput({}, child).accountId;
      const trusted = args.trustedPrincipalArns
        ? pulumi.all(args.trustedPrincipalArns)
        : account.apply((id) => [`arn:aws:iam::${id}:root`]);
      role = new aws.iam.Role(
        `${name}-role`,
        {
          name: roleName,
          assumeRolePolicy: trusted.apply((arns) => JSON.stringify(principalTrustPolicy(arns))),
          description: `Runs the ${stack} lake's BatchIngestor container`,
          maxSessionDuration: 3600,
          tags,
        },
        child,
      );
      new aws.iam.RolePolicyAttachment(`${name}-attach`, { role: role.name, policyArn: policy.arn }, child);
    }
    this.roleArn = role ? role.arn : pulumi.output(undefined);
    this.roleName = role ? role.name : pulumi.output(undefined);

    const region = aws.getRegionOutput({}, child).region;
    const hostDataDir = args.hostDataDir ?? '"$PWD"';
    this.dockerRunCommand = pulumi
      .all([this.imageUri, args.bucket.bucketName, region])
      .apply(([image, bucket, regionName]) => dockerRunCommand({ image, bucket, region: regionName, hostDataDir }));
    this.dockerLoginCommand = pulumi
      .all([repository.repositoryUrl, region])
      .apply(
        ([url, regionName]) =>
          `aws ecr get-login-password --region ${regionName} | docker login --username AWS --password-stdin ${url.split("/")[0]}`,
      );
    this.registerOutputs({
      repositoryUrl: this.repositoryUrl,
      repositoryName: this.repositoryName,
      repositoryArn: this.repositoryArn,
      imageUri: this.imageUri,
      policyArn: this.policyArn,
      roleArn: this.roleArn,
      roleName: this.roleName,
      dockerRunCommand: this.dockerRunCommand,
      dockerLoginCommand: this.dockerLoginCommand,
    });
  }
}
