declare module 'aws-cron-expression-validator' {
  /** Throws an Error naming the problem when `expression` is not a valid six-field AWS cron body. */
  export function awsCronExpressionValidator(expression: string): unknown;
}
