// Real calls through the AWS SDK for JavaScript v3, unmodified, against a pocketcloud endpoint.
//
//   node sdk_calls.mjs <case> [argument]      (endpoint from POCKETCLOUD_ENDPOINT)
//
// POCKETCLOUD_SECRET overrides the secret key "test" (to see a bad signature refused).
// Prints one JSON line: {"result": ...} when the case's calls succeed, or {"error": ...} with the
// SDK's error as the SDK exposes it (name, Code, message, $fault, $metadata), and in both cases
// "sent": what the last request on the wire looked like (method, path, headers), so the Python
// side can assert what the SDK sent as well as what it parsed. tests/test_js_sdk.py drives this.

import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import {
  EC2Client,
  DescribeAvailabilityZonesCommand,
  DescribeRegionsCommand,
  CreateKeyPairCommand,
  DescribeKeyPairsCommand,
  DeleteKeyPairCommand,
} from "@aws-sdk/client-ec2";
import { CloudWatchClient, ListMetricsCommand } from "@aws-sdk/client-cloudwatch";
import { SQSClient, GetQueueUrlCommand, ListQueuesCommand } from "@aws-sdk/client-sqs";
import { KMSClient, ListKeysCommand, DescribeKeyCommand, DescribeCustomKeyStoresCommand } from "@aws-sdk/client-kms";
import { LambdaClient, ListCodeSigningConfigsCommand, ListFunctionsCommand } from "@aws-sdk/client-lambda";
import { S3Client, ListBucketsCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { Readable } from "node:stream";

const endpoint = process.env.POCKETCLOUD_ENDPOINT;
if (!endpoint) throw new Error("POCKETCLOUD_ENDPOINT is not set");

// The last request as it left the SDK: a deserialize-step middleware sits below signing and
// checksum middlewares, so it sees the final headers.
let sent = null;

function client(Client, region = "us-east-1", extra = {}) {
  const c = new Client({
    endpoint,
    region,
    credentials: { accessKeyId: "test", secretAccessKey: process.env.POCKETCLOUD_SECRET || "test" },
    maxAttempts: 1, // an error must surface as answered, not be retried
    ...extra,
  });
  c.middlewareStack.add(
    (next) => async (args) => {
      const { method, path, query, headers } = args.request;
      sent = { method, path, query, headers: { ...headers } };
      return next(args);
    },
    { step: "deserialize", priority: "low", name: "pocketcloudCaptureRequest" },
  );
  return c;
}

// Everything the SDK put on its error object that is plain data.
function describeError(err) {
  const out = {
    name: err.name,
    Code: err.Code,
    code: err.code,
    message: err.message,
    fault: err.$fault,
    metadata: err.$metadata,
    isServiceException: typeof err.$metadata === "object" && "$fault" in err,
  };
  for (const [k, v] of Object.entries(err)) {
    if (!(k in out) && k !== "$response" && (v === null || typeof v !== "object" || k === "Error")) out[k] = v;
  }
  return out;
}

const ec2 = (region) => client(EC2Client, region);
const s3 = () => client(S3Client, "us-east-1", { forcePathStyle: true });

const cases = {
  async "sts-caller-identity"() {
    const r = await client(STSClient).send(new GetCallerIdentityCommand({}));
    return { Account: r.Account, Arn: r.Arn, UserId: r.UserId, status: r.$metadata.httpStatusCode };
  },

  async "ec2-availability-zones"() {
    const r = await ec2("ap-northeast-2").send(new DescribeAvailabilityZonesCommand({}));
    return r.AvailabilityZones.map((z) => ({
      ZoneName: z.ZoneName, ZoneId: z.ZoneId, RegionName: z.RegionName, State: z.State, ZoneType: z.ZoneType,
    }));
  },

  async "ec2-regions-filtered"() {
    const r = await ec2("us-east-1").send(new DescribeRegionsCommand({
      Filters: [{ Name: "region-name", Values: ["ap-northeast-*", "eu-west-1"] }],
    }));
    return r.Regions.map((g) => ({ RegionName: g.RegionName, Endpoint: g.Endpoint, OptInStatus: g.OptInStatus }));
  },

  async "ec2-key-pair-lifecycle"(name) {
    const c = ec2("us-east-1");
    const created = await c.send(new CreateKeyPairCommand({ KeyName: name, KeyType: "ed25519" }));
    const described = await c.send(new DescribeKeyPairsCommand({ KeyNames: [name] }));
    let duplicate = null;
    try {
      await c.send(new CreateKeyPairCommand({ KeyName: name }));
    } catch (err) {
      duplicate = describeError(err);
    }
    const deleted = await c.send(new DeleteKeyPairCommand({ KeyName: name }));
    let afterDelete = null;
    try {
      await c.send(new DescribeKeyPairsCommand({ KeyNames: [name] }));
    } catch (err) {
      afterDelete = describeError(err);
    }
    return {
      created: {
        KeyName: created.KeyName, KeyPairId: created.KeyPairId, KeyFingerprint: created.KeyFingerprint,
        KeyMaterialStart: (created.KeyMaterial || "").split("\n")[0],
      },
      described: described.KeyPairs.map((k) => ({
        KeyName: k.KeyName, KeyPairId: k.KeyPairId, KeyType: k.KeyType,
        CreateTimeIsDate: k.CreateTime instanceof Date && !Number.isNaN(k.CreateTime.getTime()),
      })),
      duplicate,
      deleted: { Return: deleted.Return, KeyPairId: deleted.KeyPairId, status: deleted.$metadata.httpStatusCode },
      afterDelete,
    };
  },

  async "ec2-create-key-pair-without-name"() {
    // The JS SDK does not check required members client-side: the server must.
    await ec2("us-east-1").send(new CreateKeyPairCommand({}));
  },

  async "kms-describe-key-without-key-id"() {
    await client(KMSClient).send(new DescribeKeyCommand({}));
  },

  async "cloudwatch-list-metrics"() {
    await client(CloudWatchClient).send(new ListMetricsCommand({ Namespace: "AWS/EC2" }));
  },

  async "sqs-get-missing-queue-url"() {
    await client(SQSClient).send(new GetQueueUrlCommand({ QueueName: "pocketcloud-no-such-queue" }));
  },

  async "kms-list-keys"() {
    await client(KMSClient).send(new ListKeysCommand({}));
  },

  async "kms-describe-custom-key-stores"() {
    await client(KMSClient).send(new DescribeCustomKeyStoresCommand({}));
  },

  async "lambda-list-functions"() {
    await client(LambdaClient).send(new ListFunctionsCommand({}));
  },

  async "lambda-list-code-signing-configs"() {
    await client(LambdaClient).send(new ListCodeSigningConfigsCommand({}));
  },

  async "s3-list-buckets"() {
    await s3().send(new ListBucketsCommand({}));
  },

  async "s3-put-object-stream"(bucket) {
    // A stream body of known length: the SDK signs it as a streaming payload and (with the
    // default request checksum calculation) sends it aws-chunked with a trailing checksum.
    const chunks = [Buffer.alloc(70 * 1024, "a"), Buffer.alloc(30 * 1024, "b")];
    await s3().send(new PutObjectCommand({
      Bucket: bucket, Key: "dir/hello world.txt", Body: Readable.from(chunks),
      ContentLength: 100 * 1024, ContentType: "text/plain",
    }));
  },

  async "s3-put-object-string"(bucket) {
    // A body the SDK holds whole: it can checksum it before sending.
    await s3().send(new PutObjectCommand({ Bucket: bucket, Key: "small.txt", Body: "hello pocketcloud" }));
  },
};

const [, , name, arg] = process.argv;
const run = cases[name];
if (!run) {
  console.error(`unknown case ${name}; cases: ${Object.keys(cases).join(", ")}`);
  process.exit(2);
}
let out;
try {
  out = { result: (await run(arg)) ?? null };
} catch (err) {
  out = { error: describeError(err) };
}
out.sent = sent;
process.stdout.write(JSON.stringify(out) + "\n");
