import type { BudgetConfig, Portfolio } from '../domain/config.js';
import { HttpError } from './http.js';

/** The configured portfolio with this id, or a 404 JSON error. */
export const findPortfolio = ({ portfolios }: BudgetConfig, id: string | undefined): Portfolio => {
  const portfolio = portfolios.find((p) => p.id === id);
  if (!portfolio) throw new HttpError(404, 'unknown-portfolio', `no portfolio "${id}"`);
  return portfolio;
};
