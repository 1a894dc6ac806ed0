/**
 * The theory curve overlaid on the results: the one rule shared with the PDF
 * report (src-shared/theory-rule.ts; see its header for the estimation rule).
 */
import type { AlphaPoint } from '../../../src-shared/theory-rule';

export { fittedEnvelope, regimeParams, theoryNs, theoryParams } from '../../../src-shared/theory-rule';

/** The part of a tail estimate the theory rule reads. */
export type AlphaEstimate = Pick<AlphaPoint, 'alpha' | 'sigma' | 'reliable'>;
