/**
 * A results folder in the reference pipeline's layout (SCIENCE.md §8), written
 * by hand as Python / pandas write it (nan, inf, empty cells, True/False,
 * integers as "25.0", NaN / Infinity in JSON), with the numbers each file
 * holds restated here as the values the importer must store.
 *
 *   seed_212/cli_args.csv, H_N_summary.csv
 *   seed_212/gru/   every file of §8
 *   seed_212/const/ every file but the envelope fits (fitted on import) and H_N (from H_N_summary.csv)
 *   seed_1001/cli_args.csv
 *   seed_1001/gru/  the learning curve only (diagnostics never finished → failed)
 *   seed_1001/const/ a learning curve whose last loss is nan (diverged) and every diagnostics file
 *   plots/, notes.txt, seed_212/gru/mu_spill_ell4.npy   (ignored)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { GateStatRow, HNRow, LagSummaryRow, LearningCurveRow, UnitTauRow } from '../../../../src-shared/results';

export function put(root: string, rel: string, text: string | Uint8Array): string {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
}

export const LAGS = [4, 13, 22, 32];

export const CLI_ARGS = [
  'argument,value',
  'T,64',
  'D,4',
  'H,3',
  'epochs,3',
  'batch_size,8',
  'lr,0.001',
  'lag_min,4',
  'lag_max,32',
  'num_lags,4',
  'task_lags,"[8, 16]"',
  'task_coeffs,"[0.6, 0.5]"',
  'N_grid,"[25, 50, 100]"',
  'orth_init,True',
  'layernorm,False',
  'alpha_method,ecf',
  'const_s,0.05',
  "models,\"['const', 'gru']\"",
  'seed,212',
  'out_dir,results/paper',
  'device,cuda',
  '',
].join('\n');

/** The fields cli_args.csv gives (the rest take the defaults). */
export const GIVEN = {
  T: 64, D: 4, H: 3, epochs: 3, batch_size: 8, lr: 0.001, lag_min: 4, lag_max: 32, num_lags: 4, task_lags: [8, 16],
  task_coeffs: [0.6, 0.5], N_grid: [25, 50, 100], orth_init: true, layernorm: false, alpha_method: 'ecf', const_s: 0.05,
};

// --- seed 212, gru: every file --------------------------------------------

export const GRU_CURVE_CSV = 'epoch,train_loss,train_acc,val_loss,val_acc\n0,1.25,0.1,1.5,-0.25\n1,0.75,0.4,0.875,0.3\n2,0.5,0.6,0.625,0.5\n';
export const GRU_CURVE: LearningCurveRow[] = [
  { epoch: 0, train_loss: 1.25, train_acc: 0.1, val_loss: 1.5, val_acc: -0.25 },
  { epoch: 1, train_loss: 0.75, train_acc: 0.4, val_loss: 0.875, val_acc: 0.3 },
  { epoch: 2, train_loss: 0.5, train_acc: 0.6, val_loss: 0.625, val_acc: 0.5 },
];

export const GRU_GATES_CSV = 'epoch,metric,value\n0,z_mean,0.5\n0,r_mean,0.25\n0,leak_mean,0.5\n0,rdiag_mean,nan\n2,z_mean,0.375\n';
export const GRU_GATES: GateStatRow[] = [
  { epoch: 0, metric: 'z_mean', value: 0.5 },
  { epoch: 0, metric: 'r_mean', value: 0.25 },
  { epoch: 0, metric: 'leak_mean', value: 0.5 },
  { epoch: 0, metric: 'rdiag_mean', value: NaN },
  { epoch: 2, metric: 'z_mean', value: 0.375 },
];

const SUMMARY_HEADER = 'ell,mu_l1_mean,log_mu_l1_mean,alpha_hat,sigma_alpha_hat,N_required_at_eps,best_snr,err_at_best_snr,best_N_for_ell,mbar_scalar,alpha_reliable,alpha_method,n_samples';

/** log f̂(ℓ) = 2 - 0.5 log log ℓ exactly in decimal: the values written (rounded), restated here as written */
export const LOG_F = ['1.8366828700', '1.5290306326', '1.4357458012', '1.3785375041'];

export const GRU_SUMMARY_CSV = [
  SUMMARY_HEADER,
  `4,0.5,${LOG_F[0]},1.75,0.125,25,3.5,0.1,100,0.01,True,ecf,480`,
  `13,0.25,${LOG_F[1]},1.5,0.25,-1,0.03125,inf,25.0,1e-05,False,ecf,408`,
  `22,0.125,${LOG_F[2]},nan,,,-inf,,,0.0,False,mcculloch,`,
  `32,1e-300,${LOG_F[3]},2.0,5e-324,100.0,1.5e+300,-0.5,50,-2.5,true,ecf,256`,
  '',
].join('\n');
export const GRU_SUMMARY: LagSummaryRow[] = [
  { ell: 4, mu_l1_mean: 0.5, log_mu_l1_mean: 1.83668287, alpha_hat: 1.75, sigma_alpha_hat: 0.125, N_required_at_eps: 25, best_snr: 3.5, err_at_best_snr: 0.1, best_N_for_ell: 100, mbar_scalar: 0.01, alpha_reliable: true, alpha_method: 'ecf', n_samples: 480 },
  { ell: 13, mu_l1_mean: 0.25, log_mu_l1_mean: 1.5290306326, alpha_hat: 1.5, sigma_alpha_hat: 0.25, N_required_at_eps: -1, best_snr: 0.03125, err_at_best_snr: Infinity, best_N_for_ell: 25, mbar_scalar: 1e-5, alpha_reliable: false, alpha_method: 'ecf', n_samples: 408 },
  { ell: 22, mu_l1_mean: 0.125, log_mu_l1_mean: 1.4357458012, alpha_hat: NaN, sigma_alpha_hat: NaN, N_required_at_eps: NaN, best_snr: -Infinity, err_at_best_snr: NaN, best_N_for_ell: NaN, mbar_scalar: 0, alpha_reliable: false, alpha_method: 'mcculloch', n_samples: NaN },
  { ell: 32, mu_l1_mean: 1e-300, log_mu_l1_mean: 1.3785375041, alpha_hat: 2, sigma_alpha_hat: 5e-324, N_required_at_eps: 100, best_snr: 1.5e300, err_at_best_snr: -0.5, best_N_for_ell: 50, mbar_scalar: -2.5, alpha_reliable: true, alpha_method: 'ecf', n_samples: 256 },
];

export const GRU_MU_CSV = 'ell,mu_unit_0,mu_unit_1,mu_unit_2\n4,0.5,0.25,0.125\n13,nan,1e-300,0.0625\n22,0.1,0.2,0.3\n32,inf,0,-0\n';
export const GRU_MU: number[][] = [[0.5, 0.25, 0.125], [NaN, 1e-300, 0.0625], [0.1, 0.2, 0.3], [Infinity, 0, -0]];

export const GRU_TAU_CSV = 'unit_id,tau,C,a,b,r2,num_points\n0,16.0,1.5,0.4054651081,-0.0625,0.99,4\n1,inf,0.5,-0.6931471806,0.0,0.0,4\n2,nan,nan,nan,nan,nan,\n';
export const GRU_TAU: UnitTauRow[] = [
  { unit_id: 0, tau: 16, C: 1.5, a: 0.4054651081, b: -0.0625, r2: 0.99, num_points: 4 },
  { unit_id: 1, tau: Infinity, C: 0.5, a: -0.6931471806, b: 0, r2: 0, num_points: 4 },
  { unit_id: 2, tau: NaN, C: NaN, a: NaN, b: NaN, r2: NaN, num_points: NaN },
];

/** Python's json.dump: NaN as a bare token; no "log" / "best" (the reference has only exp and power) */
export const GRU_ENVELOPE_JSON = '{"exp": {"a": -0.5, "b": -0.0625, "r2": 0.9, "tau_env": 16.0}, "power": {"c": 1.0, "d": -1.5, "r2": NaN}}\n';

export const GRU_HN_CSV = 'N,H_N\n25,4\n50,4\n100,32\n';
export const GRU_HN: HNRow[] = [{ N: 25, H_N: 4 }, { N: 50, H_N: 4 }, { N: 100, H_N: 32 }];

// --- seed 212, const: no envelope file, H_N from H_N_summary.csv -------------

export const CONST_CURVE_CSV = 'epoch,train_loss,train_acc,val_loss,val_acc\n0,2.0,0.0,2.5,-1.0\n1,1.0,0.5,1.25,0.25\n2,0.5,0.75,0.75,0.5\n';
export const CONST_CURVE: LearningCurveRow[] = [
  { epoch: 0, train_loss: 2, train_acc: 0, val_loss: 2.5, val_acc: -1 },
  { epoch: 1, train_loss: 1, train_acc: 0.5, val_loss: 1.25, val_acc: 0.25 },
  { epoch: 2, train_loss: 0.5, train_acc: 0.75, val_loss: 0.75, val_acc: 0.5 },
];
export const CONST_GATES_CSV = 'epoch,metric,value\n0,gate_s_mean,0.05\n0,leak_mean,0.95\n0,rdiag_mean,-0.001\n';
export const CONST_GATES: GateStatRow[] = [
  { epoch: 0, metric: 'gate_s_mean', value: 0.05 },
  { epoch: 0, metric: 'leak_mean', value: 0.95 },
  { epoch: 0, metric: 'rdiag_mean', value: -0.001 },
];

/** ConstGate: log f̂ exactly linear in ℓ (slope log 0.95 = -0.05129329438755058): the exp regime fits it exactly */
export const CONST_LOG_F = LAGS.map((l) => -0.5 + l * Math.log(0.95));
export const CONST_SUMMARY: LagSummaryRow[] = LAGS.map((ell, i) => ({
  ell, mu_l1_mean: Math.exp(CONST_LOG_F[i]!), log_mu_l1_mean: CONST_LOG_F[i]!, alpha_hat: 2, sigma_alpha_hat: 0.5, N_required_at_eps: 25 * (i + 1),
  best_snr: 2, err_at_best_snr: 0.25, best_N_for_ell: 25, mbar_scalar: 0.125, alpha_reliable: true, alpha_method: 'ecf', n_samples: 1000,
}));
/** written with String(x): the shortest text that reads back as the same double */
export const CONST_SUMMARY_CSV = [SUMMARY_HEADER, ...CONST_SUMMARY.map((r) => [
  r.ell, r.mu_l1_mean, r.log_mu_l1_mean, r.alpha_hat, r.sigma_alpha_hat, r.N_required_at_eps, r.best_snr, r.err_at_best_snr, r.best_N_for_ell,
  r.mbar_scalar, 'True', r.alpha_method, r.n_samples].map(String).join(',')), ''].join('\n');
export const CONST_MU_CSV = 'ell,mu_unit_0,mu_unit_1,mu_unit_2\n4,1,2,3\n13,4,5,6\n22,7,8,9\n32,10,11,12\n';
export const CONST_TAU_CSV = 'unit_id,tau,C,a,b,r2,num_points\n0,19.495725746223687,1,0,-0.05129329438755058,1,4\n1,19.495725746223687,1,0,-0.05129329438755058,1,4\n2,19.495725746223687,1,0,-0.05129329438755058,1,4\n';
export const CONST_TAU_JSON = '{"s": 0.05, "leak": 0.95, "tau": 19.495725746223687}\n';
export const H_N_SUMMARY_CSV = 'N,H_N_const,H_N_gru\n25,13,4\n50,22,4\n100,32,32\n';
export const CONST_HN: HNRow[] = [{ N: 25, H_N: 13 }, { N: 50, H_N: 22 }, { N: 100, H_N: 32 }];

// --- seed 1001 ----------------------------------------------------------------

export const GRU_1001_CURVE_CSV = 'epoch,train_loss,train_acc,val_loss,val_acc\n0,1.0,0.0,1.0,0.0\n';
export const CONST_1001_CURVE_CSV = 'epoch,train_loss,train_acc,val_loss,val_acc\n0,1.0,0.0,1.0,0.0\n1,nan,nan,nan,nan\n';

export function writeReferenceFolder(root: string): void {
  put(root, 'seed_212/cli_args.csv', CLI_ARGS);
  put(root, 'seed_212/H_N_summary.csv', H_N_SUMMARY_CSV);
  put(root, 'seed_212/gru/gru_learning_curve.csv', GRU_CURVE_CSV);
  put(root, 'seed_212/gru/gate_stats_gru.csv', GRU_GATES_CSV);
  put(root, 'seed_212/gru/gru_summary.csv', GRU_SUMMARY_CSV);
  put(root, 'seed_212/gru/gru_mu_units.csv', GRU_MU_CSV);
  put(root, 'seed_212/gru/gru_tau_from_mu_units.csv', GRU_TAU_CSV);
  put(root, 'seed_212/gru/gru_envelope_fits.json', GRU_ENVELOPE_JSON);
  put(root, 'seed_212/gru/gru_H_N.csv', GRU_HN_CSV);
  put(root, 'seed_212/gru/mu_spill_ell4.npy', new Uint8Array(1000));
  put(root, 'seed_212/const/const_learning_curve.csv', CONST_CURVE_CSV);
  put(root, 'seed_212/const/gate_stats_const.csv', CONST_GATES_CSV);
  put(root, 'seed_212/const/const_summary.csv', CONST_SUMMARY_CSV);
  put(root, 'seed_212/const/const_mu_units.csv', CONST_MU_CSV);
  put(root, 'seed_212/const/const_tau_from_mu_units.csv', CONST_TAU_CSV);
  put(root, 'seed_212/const/const_tau_const.json', CONST_TAU_JSON);
  put(root, 'seed_1001/cli_args.csv', CLI_ARGS.replace('seed,212', 'seed,1001').replace('lr,0.001', 'lr,0.002'));
  put(root, 'seed_1001/gru/gru_learning_curve.csv', GRU_1001_CURVE_CSV);
  put(root, 'seed_1001/const/const_learning_curve.csv', CONST_1001_CURVE_CSV);
  put(root, 'seed_1001/const/gate_stats_const.csv', CONST_GATES_CSV);
  put(root, 'seed_1001/const/const_summary.csv', CONST_SUMMARY_CSV);
  put(root, 'seed_1001/const/const_mu_units.csv', CONST_MU_CSV);
  put(root, 'seed_1001/const/const_tau_from_mu_units.csv', CONST_TAU_CSV);
  put(root, 'seed_1001/const/const_envelope_fits.json', '{"exp": {"a": -0.5, "b": 0.0, "r2": 1.0, "tau_env": Infinity}, "power": {"c": -Infinity, "d": 0.5, "r2": 0.25}}');
  put(root, 'seed_1001/const/const_H_N.csv', 'N,H_N\n25,0\n50,0\n100,0\n');
  put(root, 'seed_1001/const/const_tau_const.json', CONST_TAU_JSON);
  put(root, 'plots/envelope.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
  put(root, 'notes.txt', 'a run of the reference pipeline\n');
}
