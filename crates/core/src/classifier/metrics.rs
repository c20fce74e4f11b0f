//! Classification metrics: a confusion matrix and the scores read off it.

/// A confusion matrix over `n` classes: `cell(gold, predicted)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confusion {
    n: usize,
    cells: Vec<u64>,
}

/// Precision, recall and F1 of one class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassScores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Number of gold items of the class.
    pub support: u64,
}

impl Confusion {
    pub fn new(n: usize) -> Self {
        Confusion {
            n,
            cells: vec![0; n * n],
        }
    }

    /// Sets every cell back to zero.
    pub fn clear(&mut self) {
        self.cells.fill(0);
    }

    pub fn classes(&self) -> usize {
        self.n
    }

    /// Counts one item. Indices outside the matrix are ignored.
    pub fn add(&mut self, gold: usize, predicted: usize) {
        if gold < self.n && predicted < self.n {
            self.cells[gold * self.n + predicted] += 1;
        }
    }

    pub fn cell(&self, gold: usize, predicted: usize) -> u64 {
        self.cells[gold * self.n + predicted]
    }

    pub fn total(&self) -> u64 {
        self.cells.iter().sum()
    }

    pub fn class(&self, c: usize) -> ClassScores {
        let tp = self.cell(c, c) as f64;
        let gold: u64 = (0..self.n).map(|p| self.cell(c, p)).sum();
        let pred: u64 = (0..self.n).map(|g| self.cell(g, c)).sum();
        let precision = if pred == 0 { 0.0 } else { tp / pred as f64 };
        let recall = if gold == 0 { 0.0 } else { tp / gold as f64 };
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        ClassScores {
            precision,
            recall,
            f1,
            support: gold,
        }
    }

    /// Unweighted mean of the per-class F1 scores.
    pub fn macro_f1(&self) -> f64 {
        if self.n == 0 {
            return 0.0;
        }
        (0..self.n).map(|c| self.class(c).f1).sum::<f64>() / self.n as f64
    }

    pub fn accuracy(&self) -> f64 {
        let t = self.total();
        if t == 0 {
            return 0.0;
        }
        (0..self.n).map(|c| self.cell(c, c)).sum::<u64>() as f64 / t as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_a_small_matrix() {
        let mut m = Confusion::new(2);
        for (g, p) in [(0, 0), (0, 0), (0, 1), (1, 1), (1, 0), (1, 1)] {
            m.add(g, p);
        }
        m.add(5, 0);
        assert_eq!(m.total(), 6);
        let c1 = m.class(1);
        assert!((c1.precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((c1.recall - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.macro_f1() - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.accuracy() - 4.0 / 6.0).abs() < 1e-12);
        assert_eq!(Confusion::new(3).macro_f1(), 0.0);
    }
}
