//! Sample size: how many respondents a unit needs for a population of service users.

/// Krejcie & Morgan (1970) sample size for a population of `population` service users
/// (transactions in the period), which PermenPAN-RB 14/2017 points to:
///
/// `s = X² N P(1−P) / (d² (N−1) + X² P(1−P))` with X² = 3.841, P = 0.5, d = 0.05,
/// rounded to the nearest whole respondent, which is how the published table was made
/// (rounding up would give 45 for N = 50 where the table says 44).
///
/// The formula reproduces every published row we checked (10 → 10, 50 → 44,
/// 1000 → 278, 1 000 000 → 384, ...) except N = 100 000, where the 1970 table prints
/// 384 and the formula gives 383 (382.6). We follow the formula rather than patching
/// one row. Returns 0 for an empty population.
pub fn krejcie_morgan(population: u64) -> u64 {
    if population == 0 {
        return 0;
    }
    const X2: f64 = 3.841;
    const P: f64 = 0.5;
    const D: f64 = 0.05;
    let n = population as f64;
    let s = X2 * n * P * (1.0 - P) / (D * D * (n - 1.0) + X2 * P * (1.0 - P));
    (s.round() as u64).min(population)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproduces_the_published_table() {
        let rows = [
            (10, 10),
            (15, 14),
            (50, 44),
            (100, 80),
            (200, 132),
            (300, 169),
            (500, 217),
            (1000, 278),
            (5000, 357),
            (10_000, 370),
            (75_000, 382),
            (1_000_000, 384),
        ];
        for (n, s) in rows {
            assert_eq!(krejcie_morgan(n), s, "N = {n}");
        }
    }

    #[test]
    fn formula_gives_383_where_the_1970_table_prints_384() {
        assert_eq!(krejcie_morgan(100_000), 383);
    }

    #[test]
    fn small_populations() {
        assert_eq!(krejcie_morgan(0), 0);
        assert_eq!(krejcie_morgan(1), 1);
        for n in 1..2000 {
            assert!(krejcie_morgan(n) <= n);
            assert!(krejcie_morgan(n) <= krejcie_morgan(n + 1));
        }
    }
}
