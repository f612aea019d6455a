/**
 * Environment defaults for running the cloud handlers on a developer machine. Imported first by every
 * local entry point, because Powertools and the AWS SDK read these once, when their modules load.
 * Anything already set wins.
 */
process.env.BUDGET_RUNTIME = 'local';
// EMF metrics are CloudWatch's business; locally they would only bury the console.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
// The functions run on nodejs24.x in Lambda; this machine's Node 20 is supported by the SDK until 2027.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.AWS_REGION ??= 'local';
