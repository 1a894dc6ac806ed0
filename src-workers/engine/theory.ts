/**
 * Closed-form theory of the learnability window (SCIENCE.md §6).
 *
 * The pure closed forms live in src-shared/theory-closed-form.ts so the
 * renderer (theory explorer, results overlays) computes exactly the same
 * curves as the engine; this module re-exports them for engine code.
 */
export {
  kappa, envelope, envelopeThreshold, theoryHN, theoryNRequired, hnFromEnvelope,
  type DecayKind, type ThresholdParams, type TheoryParams,
} from '../../src-shared/theory-closed-form';
