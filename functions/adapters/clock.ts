/** The current instant; handlers take it as a dependency so tests can fix time. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
