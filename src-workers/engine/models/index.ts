/**
 * Model factory: one entry point for every architecture (SCIENCE.md §2).
 */
import type { FloatArray } from '../kernels/types';
import { createGatedModel } from './gated';
import { createGruModel } from './gru';
import { createLstmModel } from './lstm';
import { initParams } from './params';
import type { Model, ModelOptions, ModelShape } from './types';

export function createModel<A extends FloatArray>(shape: ModelShape, opts: ModelOptions<A>): Model<A> {
  switch (shape.arch) {
    case 'const':
    case 'shared':
    case 'diag':
      return createGatedModel(shape, opts);
    case 'gru':
      return createGruModel(shape, opts);
    case 'lstm':
      return createLstmModel(shape, opts);
  }
}

/** Create a model and initialise its parameters (uniform / orthogonal, §2). */
export function createInitialisedModel<A extends FloatArray>(
  shape: ModelShape, opts: ModelOptions<A>, init: { seed: number; orthInit: boolean },
): Model<A> {
  const model = createModel(shape, opts);
  initParams(model.layout, model.params, { seed: init.seed, orthInit: init.orthInit, constS: shape.constS });
  return model;
}
