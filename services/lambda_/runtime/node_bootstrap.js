// stepstack's Node.js runtime interface client: the Lambda Runtime API loop AWS's
// aws-lambda-nodejs-runtime-interface-client runs, in plain Node (no native parts).
// Handler "file.fn": file.js, file.mjs or file.cjs in LAMBDA_TASK_ROOT (or /opt's nodejs/),
// fn async or with a callback. Errors are AWS's documents: errorType, errorMessage, trace.
"use strict";

const http = require("http");
const path = require("path");
const fs = require("fs");
const { pathToFileURL } = require("url");

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(":");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const base = "/2018-06-01/runtime";

function request(method, url, body, headers) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(body);
    const req = http.request(
      { host, port, method, path: base + url, agent,
        headers: { ...(headers || {}), ...(data ? { "Content-Length": data.length, "Content-Type": "application/json" } : {}) } },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      });
    req.on("error", reject);
    if (data) req.write(data);
    req.end();
  });
}

function errorDocument(err) {
  const e = err instanceof Error ? err : new Error(typeof err === "string" ? err : JSON.stringify(err));
  return {
    errorType: e.name && e.name !== "Error" ? e.name : (e.constructor && e.constructor.name) || "Error",
    errorMessage: e.message,
    trace: (e.stack || "").split("\n"),
  };
}

function logError(prefix, doc) {
  process.stderr.write(`${new Date().toISOString()}\t${prefix}\tERROR\t${JSON.stringify(doc)}\n`);
}

async function loadHandler() {
  const spec = process.env._HANDLER || "";
  const dot = spec.lastIndexOf(".");
  if (dot < 0) {
    const e = new Error(`Bad handler ${spec}: missing module name`); e.name = "Runtime.MalformedHandlerName"; throw e;
  }
  const moduleName = spec.slice(0, dot), fnName = spec.slice(dot + 1);
  const roots = [process.env.LAMBDA_TASK_ROOT, path.join(process.env.LAMBDA_TASK_ROOT, "..", "opt", "nodejs")];
  let file = null;
  for (const root of roots) {
    for (const ext of [".js", ".mjs", ".cjs"]) {
      const candidate = path.resolve(root, moduleName + ext);
      if (fs.existsSync(candidate)) { file = candidate; break; }
    }
    if (file) break;
  }
  if (!file) {
    const e = new Error(`Error: Cannot find module '${moduleName}'`); e.name = "Runtime.ImportModuleError"; throw e;
  }
  let mod;
  try {
    mod = file.endsWith(".mjs") ? await import(pathToFileURL(file).href) : require(file);
  } catch (err) {
    if (err && err.code === "ERR_REQUIRE_ESM") mod = await import(pathToFileURL(file).href);
    else { const e = new Error(String(err && err.message)); e.name = "Runtime.UserCodeSyntaxError"; e.stack = err && err.stack; throw e; }
  }
  const fn = mod[fnName] || (mod.default && mod.default[fnName]);
  if (typeof fn !== "function") {
    const e = new Error(`${moduleName}.${fnName} is undefined or not exported`); e.name = "Runtime.HandlerNotFound"; throw e;
  }
  return fn;
}

function contextFor(headers) {
  const deadline = Number(headers["lambda-runtime-deadline-ms"]);
  const ctx = {
    awsRequestId: headers["lambda-runtime-aws-request-id"],
    invokedFunctionArn: headers["lambda-runtime-invoked-function-arn"],
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  if (headers["lambda-runtime-client-context"]) ctx.clientContext = JSON.parse(headers["lambda-runtime-client-context"]);
  if (headers["lambda-runtime-cognito-identity"]) ctx.identity = JSON.parse(headers["lambda-runtime-cognito-identity"]);
  return ctx;
}

function run(fn, event, ctx) {
  return new Promise((resolve, reject) => {
    let done = false;
    const callback = (err, value) => { if (done) return; done = true; err ? reject(err) : resolve(value); };
    try {
      const result = fn(event, ctx, callback);
      if (result && typeof result.then === "function") result.then((v) => callback(null, v), (e) => callback(e || new Error("null")));
      else if (fn.length < 3) callback(null, result);
    } catch (err) { callback(err); }
  });
}

async function main() {
  let fn;
  try {
    fn = await loadHandler();
  } catch (err) {
    const doc = errorDocument(err);
    logError("undefined", doc);
    await request("POST", "/init/error", JSON.stringify(doc), { "Lambda-Runtime-Function-Error-Type": doc.errorType });
    process.exit(1);
  }
  for (;;) {
    const next = await request("GET", "/invocation/next");
    const id = next.headers["lambda-runtime-aws-request-id"];
    currentId = id;
    process.env._X_AMZN_TRACE_ID = next.headers["lambda-runtime-trace-id"] || "";
    const ctx = contextFor(next.headers);
    try {
      const value = await run(fn, JSON.parse(next.body), ctx);
      await request("POST", `/invocation/${id}/response`, JSON.stringify(value === undefined ? null : value));
    } catch (err) {
      const doc = errorDocument(err);
      logError(id, doc);
      await request("POST", `/invocation/${id}/error`, JSON.stringify(doc), { "Lambda-Runtime-Function-Error-Type": doc.errorType });
    }
  }
}

// console.* as AWS's Node runtimes write them: timestamp, request id, level, message
const util = require("util");
let currentId = "undefined";
for (const [name, level] of [["log", "INFO"], ["info", "INFO"], ["warn", "WARN"], ["error", "ERROR"], ["debug", "DEBUG"]]) {
  const out = name === "error" || name === "warn" ? process.stderr : process.stdout;
  console[name] = (...args) => out.write(`${new Date().toISOString()}\t${currentId}\t${level}\t${util.format(...args).replace(/\n/g, "\r")}\n`);
}
main().catch((err) => { console.error(err); process.exit(1); });
