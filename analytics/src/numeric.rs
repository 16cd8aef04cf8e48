//! Small numeric helpers shared by every computation: rounding, the t quantile for
//! confidence intervals, and percentiles.

/// Rounds half away from zero to `decimals` places, the rule SKM.md fixes for every
/// reported figure (Rust's `f64::round` is half away from zero, but `88.305` is stored
/// as 88.30499999…; the value is first snapped to 1e-9 of the last place so that binary
/// noise from summation never decides a tie).
pub fn round_half_away(x: f64, decimals: u32) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(decimals as i32);
    let scaled = x * scale;
    let snapped = (scaled * 1e9).round() / 1e9;
    snapped.round() / scale
}

/// Two-sided 95% critical value of Student's t with `df` degrees of freedom.
///
/// Exact table values for df 1–30 (the small groups where it matters most), then the
/// Cornish–Fisher expansion around the normal quantile, which is within 1e-4 of the
/// exact value beyond 30.
pub fn t_critical_95(df: u64) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
    if df == 0 {
        return f64::INFINITY;
    }
    if df <= 30 {
        return TABLE[(df - 1) as usize];
    }
    let z = 1.959_963_984_540_054_f64;
    let n = df as f64;
    let z3 = z * z * z;
    let z5 = z3 * z * z;
    let z7 = z5 * z * z;
    z + (z3 + z) / (4.0 * n)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * n * n)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * n * n * n)
}

/// Percentile `p` (0..=1) of already sorted values by linear interpolation between
/// closest ranks (Hyndman–Fan type 7), the method of spreadsheet MEDIAN and
/// PERCENTILE.INC, so an XLSX export re-computed by a user gives the same figure.
pub fn percentile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_half_away_from_zero_despite_binary_noise() {
        assert_eq!(round_half_away(88.305, 2), 88.31);
        assert_eq!(round_half_away(64.995, 2), 65.0);
        assert_eq!(round_half_away(76.605, 2), 76.61);
        assert_eq!(round_half_away(88.304_999, 2), 88.30);
        assert_eq!(round_half_away(-1.005, 2), -1.01);
        assert_eq!(round_half_away(3.5324 * 25.0, 2), 88.31);
        assert_eq!(round_half_away(2.5, 0), 3.0);
    }

    #[test]
    fn t_quantiles() {
        assert_eq!(t_critical_95(1), 12.706);
        assert!((t_critical_95(40) - 2.021).abs() < 1e-3);
        assert!((t_critical_95(60) - 2.000).abs() < 1e-3);
        assert!((t_critical_95(120) - 1.980).abs() < 1e-3);
        assert!((t_critical_95(1_000_000) - 1.96).abs() < 1e-3);
    }

    #[test]
    fn percentiles_match_spreadsheets() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile_sorted(&v, 0.5), Some(2.5));
        assert!((percentile_sorted(&v, 0.9).unwrap() - 3.7).abs() < 1e-12);
        assert_eq!(percentile_sorted(&[], 0.5), None);
        assert_eq!(percentile_sorted(&[7.0], 0.9), Some(7.0));
    }
}
