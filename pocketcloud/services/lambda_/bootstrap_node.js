// pocketcloud's runtime interface client for nodejs* functions (run by `node`, never by the
// server): the same loop as bootstrap_python.py over the Lambda Runtime API — load the handler
// named by $_HANDLER (Runtime.ImportModuleError / Runtime.HandlerNotFound through
// /runtime/init/error), then GET /invocation/next, call the handler (async or callback style),
// POST /response or /error. One keep-alive agent keeps a warm invoke cheap.
"use strict";
const http = require("http");
const fs = require("fs");
const path = require("path");
const { pathToFileURL } = require("url");

const [HOST, PORT] = process.env.AWS_LAMBDA_RUNTIME_API.split(":");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const API = "/2018-06-01/runtime";
const SENTINEL = !!process.env._PC_SENTINEL;
// pocketcloud's cheaper local path to the same API, when offered.
const WHERE = process.env._PC_RUNTIME_SOCKET ? { socketPath: process.env._PC_RUNTIME_SOCKET }
                                              : { host: HOST, port: Number(PORT) };
let currentRequestId = "";

function request(method, urlPath, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ ...WHERE, method, path: API + urlPath, agent,
                               headers: Object.assign({ "Content-Type": "application/json" }, headers || {}) }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

for (const [level, name] of [["INFO", "log"], ["INFO", "info"], ["WARN", "warn"], ["ERROR", "error"], ["DEBUG", "debug"]]) {
  const util = require("util");
  console[name] = (...args) => {
    process.stdout.write(`${new Date().toISOString()}\t${currentRequestId}\t${level}\t${util.format(...args)}\n`);
  };
}

function errorOf(err) {
  if (err instanceof Error) {
    return { errorType: err.name || "Error", errorMessage: err.message,
             trace: (err.stack || "").split("\n") };
  }
  return { errorType: typeof err === "string" ? "string" : "Error", errorMessage: String(err), trace: [] };
}

async function loadHandler(spec) {
  const dot = spec.lastIndexOf(".");
  if (dot < 0) throw Object.assign(new Error(`Bad handler ${spec}`), { name: "Runtime.MalformedHandlerName" });
  const moduleName = spec.slice(0, dot), fnName = spec.slice(dot + 1);
  const root = process.env.LAMBDA_TASK_ROOT;
  let mod;
  const candidates = [".js", ".mjs", ".cjs"].map((ext) => path.join(root, moduleName + ext));
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) {
    throw Object.assign(new Error(`Error: Cannot find module '${moduleName}'`), { name: "Runtime.ImportModuleError" });
  }
  try {
    mod = found.endsWith(".cjs") ? require(found) : await import(pathToFileURL(found).href);
  } catch (e) {
    if (e instanceof SyntaxError) throw Object.assign(new Error(`${e.name}: ${e.message}`), { name: "Runtime.UserCodeSyntaxError" });
    throw Object.assign(new Error(`${e.name}: ${e.message}`), { name: "Runtime.ImportModuleError" });
  }
  const handler = mod[fnName] || (mod.default && mod.default[fnName]);
  if (typeof handler !== "function") {
    throw Object.assign(new Error(`${moduleName}.${fnName} is undefined or not exported`), { name: "Runtime.HandlerNotFound" });
  }
  return handler;
}

function endMarker(requestId) {
  if (SENTINEL) process.stdout.write("\u0000PCEND " + requestId + "\u0000");
}

function runHandler(handler, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (err, result) => { if (!settled) { settled = true; err ? reject(err) : resolve(result); } };
    try {
      const out = handler(event, context, callback);
      if (out && typeof out.then === "function") out.then((r) => callback(null, r), callback);
      else if (handler.length < 3) callback(null, out);
    } catch (e) { callback(e); }
  });
}

async function main() {
  let handler;
  try {
    handler = await loadHandler(process.env._HANDLER || "");
  } catch (e) {
    const error = errorOf(e);
    console.error(`${error.errorType}: ${error.errorMessage}`);
    await request("POST", "/init/error", JSON.stringify(error), { "Lambda-Runtime-Function-Error-Type": error.errorType });
    process.exit(1);
  }
  for (;;) {
    const next = await request("GET", "/invocation/next");
    const h = next.headers;
    const requestId = h["lambda-runtime-aws-request-id"];
    currentRequestId = requestId;
    const deadline = Number(h["lambda-runtime-deadline-ms"]);
    const context = {
      awsRequestId: requestId, invokedFunctionArn: h["lambda-runtime-invoked-function-arn"],
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME, callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
      clientContext: h["lambda-runtime-client-context"] ? JSON.parse(h["lambda-runtime-client-context"]) : undefined,
      identity: h["lambda-runtime-cognito-identity"] ? JSON.parse(h["lambda-runtime-cognito-identity"]) : undefined,
    };
    process.env._X_AMZN_TRACE_ID = h["lambda-runtime-trace-id"] || "";
    let event;
    try {
      event = next.body.length ? JSON.parse(next.body.toString()) : {};
    } catch (e) {
      event = null;
    }
    try {
      const result = await runHandler(handler, event, context);
      const body = result === undefined ? "null" : JSON.stringify(result);
      endMarker(requestId);
      await request("POST", `/invocation/${requestId}/response`, body);
    } catch (e) {
      const error = errorOf(e);
      console.error(`Invoke Error \t${JSON.stringify(error)}`);
      endMarker(requestId);
      await request("POST", `/invocation/${requestId}/error`, JSON.stringify(error),
                    { "Lambda-Runtime-Function-Error-Type": error.errorType });
    }
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
