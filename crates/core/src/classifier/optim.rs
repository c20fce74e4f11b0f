//! Limited-memory BFGS, the optimiser of the trainer and of calibration.

/// Limited-memory BFGS with a backtracking (Armijo) line search. Minimises `f` from `x`,
/// returns the final objective and the number of iterations.
pub(crate) fn lbfgs(
    x: &mut [f64],
    mut f: impl FnMut(&[f64], &mut [f64]) -> f64,
    max_iter: usize,
    tolerance: f64,
    progress: &mut dyn FnMut(usize, f64),
) -> (f64, usize) {
    const M: usize = 6;
    let n = x.len();
    let mut g = vec![0.0; n];
    let mut fx = f(x, &mut g);
    let mut s_hist: Vec<Vec<f32>> = Vec::new();
    let mut y_hist: Vec<Vec<f32>> = Vec::new();
    let mut rho: Vec<f64> = Vec::new();
    let mut d = vec![0.0; n];
    let mut x_new = vec![0.0; n];
    let mut g_new = vec![0.0; n];
    let mut history = vec![fx];
    let mut iter = 0;
    while iter < max_iter {
        let gnorm = dot(&g, &g).sqrt();
        if gnorm < 1e-10 {
            break;
        }
        // Two-loop recursion: d = -H g.
        d.copy_from_slice(&g);
        let k = s_hist.len();
        let mut alpha = vec![0.0; k];
        for i in (0..k).rev() {
            alpha[i] = rho[i] * dot(&s_hist[i], &d);
            axpy32(-alpha[i], &y_hist[i], &mut d);
        }
        if k > 0 {
            let sy = 1.0 / rho[k - 1];
            let yy = dot(&y_hist[k - 1], &y_hist[k - 1]);
            let gamma = sy / yy;
            d.iter_mut().for_each(|v| *v *= gamma);
        } else {
            let s = 1.0 / gnorm;
            d.iter_mut().for_each(|v| *v *= s);
        }
        for i in 0..k {
            let beta = rho[i] * dot(&y_hist[i], &d);
            axpy32(alpha[i] - beta, &s_hist[i], &mut d);
        }
        d.iter_mut().for_each(|v| *v = -*v);
        let mut slope = dot(&g, &d);
        if slope >= 0.0 {
            // Not a descent direction: restart from steepest descent.
            s_hist.clear();
            y_hist.clear();
            rho.clear();
            let s = 1.0 / gnorm;
            for (di, gi) in d.iter_mut().zip(&g) {
                *di = -gi * s;
            }
            slope = -gnorm;
        }
        let mut step = 1.0;
        let mut fx_new;
        let mut tries = 0;
        loop {
            for i in 0..n {
                x_new[i] = x[i] + step * d[i];
            }
            fx_new = f(&x_new, &mut g_new);
            if fx_new <= fx + 1e-4 * step * slope || tries >= 30 {
                break;
            }
            step *= 0.5;
            tries += 1;
        }
        if fx_new > fx {
            break;
        }
        // Reuse the oldest pair's buffers once the history is full.
        let (mut s, mut y) = if s_hist.len() == M {
            rho.remove(0);
            (s_hist.remove(0), y_hist.remove(0))
        } else {
            (vec![0f32; n], vec![0f32; n])
        };
        let mut sy = 0.0;
        for i in 0..n {
            let si = x_new[i] - x[i];
            let yi = g_new[i] - g[i];
            s[i] = si as f32;
            y[i] = yi as f32;
            sy += si * yi;
        }
        x.copy_from_slice(&x_new);
        g.copy_from_slice(&g_new);
        fx = fx_new;
        iter += 1;
        progress(iter, fx);
        if sy > 1e-12 {
            s_hist.push(s);
            y_hist.push(y);
            rho.push(1.0 / sy);
        }
        history.push(fx);
        if history.len() > 5 {
            let old = history[history.len() - 6];
            if (old - fx) / fx.abs().max(1e-12) < tolerance {
                break;
            }
        }
    }
    (fx, iter)
}

// Dot products with eight independent partial sums, so that the compiler can vectorise them
// (a single running sum fixes the order of additions and cannot be).
pub(crate) fn dot<A: Copy + Into<f64>, B: Copy + Into<f64>>(a: &[A], b: &[B]) -> f64 {
    let mut acc = [0f64; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(&x, &y)| x.into() * y.into())
        .sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k].into() * y[k].into();
        }
    }
    acc.iter().sum::<f64>() + tail
}

pub(crate) fn axpy32(a: f64, x: &[f32], y: &mut [f64]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += a * xi as f64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lbfgs_minimises_a_quadratic() {
        let mut x = vec![0.0; 3];
        let (f, _) = lbfgs(
            &mut x,
            |p, g| {
                let c = [1.0, -2.0, 3.0];
                let mut f = 0.0;
                for i in 0..3 {
                    let a = (i + 1) as f64;
                    f += 0.5 * a * (p[i] - c[i]).powi(2);
                    g[i] = a * (p[i] - c[i]);
                }
                f
            },
            100,
            1e-14,
            &mut |_, _| {},
        );
        assert!(f < 1e-10, "{f} {x:?}");
        assert!((x[1] + 2.0).abs() < 1e-4);
    }
}
