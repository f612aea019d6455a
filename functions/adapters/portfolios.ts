import type { BudgetConfig, Portfolio } from '../domain/config.js';
import { HttpError } from './http.js';

/**
 * The configured portfolio with this id, or a 404 JSON error naming `field`, where the id came: the path's
 * `{id}` by default, or a form's or a query's field.
 */
export const findPortfolio = ({ portfolios }: BudgetConfig, id: string | undefined, field = 'id'): Portfolio => {
  const portfolio = portfolios.find((p) => p.id === id);
  if (portfolio) return portfolio;
  const message = `no portfolio "${id}"`;
  throw new HttpError(404, 'unknown-portfolio', message, [{ path: field, message: `${message} is configured` }]);
};

/**
 * The portfolio a dashboard form acts on: 400 naming `portfolio` when the form names none (the page always
 * sends one; a hand-made post without it read as a 404 for portfolio "undefined"), else as {@link findPortfolio}.
 */
export const formPortfolio = (config: BudgetConfig, form: URLSearchParams): Portfolio => {
  const id = form.get('portfolio');
  if (!id) {
    throw new HttpError(400, 'invalid-body', 'the form is invalid', [
      { path: 'portfolio', message: 'is required: the id of the portfolio the form acts on' },
    ]);
  }
  return findPortfolio(config, id, 'portfolio');
};
