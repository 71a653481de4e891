//! Probability distributions for buffers, repair times and hazard intensities,
//! plus the counter-based random numbers that make runs reproducible.

use serde::{Deserialize, Serialize};

/// A one-dimensional distribution of a non-negative quantity (hours, kilometres,
/// hazard intensity).
///
/// Spec §4.4 asks for buffer times "as distributions, not constants".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Dist {
    /// Always the same value.
    Const {
        /// The value.
        value: f64,
    },
    /// Uniform on `[lo, hi]`.
    Uniform {
        /// Lower bound.
        lo: f64,
        /// Upper bound.
        hi: f64,
    },
    /// Log-normal with the given median and log-space standard deviation.
    LogNormal {
        /// Median (= exp(mu)).
        median: f64,
        /// Standard deviation of ln(X).
        sigma: f64,
    },
    /// `max(floor, X)` for an inner distribution `X` (used by buffer-floor measures).
    AtLeast {
        /// Lower bound.
        floor: f64,
        /// Inner distribution.
        dist: Box<Dist>,
    },
}

impl Dist {
    /// Constant distribution.
    pub const fn constant(value: f64) -> Self {
        Dist::Const { value }
    }

    /// Uniform distribution on `[lo, hi]`.
    pub const fn uniform(lo: f64, hi: f64) -> Self {
        Dist::Uniform { lo, hi }
    }

    /// Log-normal distribution with `median` and log-sd `sigma`.
    pub const fn lognormal(median: f64, sigma: f64) -> Self {
        Dist::LogNormal { median, sigma }
    }

    /// Draws a value by inversion from a uniform `u1` in `(0, 1)`.
    ///
    /// Monotone in `u1` for every variant, so a quantity drawn with the same
    /// uniform under two parameter sets keeps its rank (common random numbers).
    pub fn sample(&self, u1: f64) -> f64 {
        let v = match self {
            Dist::Const { value } => *value,
            Dist::Uniform { lo, hi } => lo + (hi - lo) * u1,
            Dist::LogNormal { median, sigma } => median * (sigma * normal_quantile(u1)).exp(),
            Dist::AtLeast { floor, dist } => dist.sample(u1).max(*floor),
        };
        if v.is_finite() { v.max(0.0) } else { 0.0 }
    }

    /// Smallest value the distribution can produce.
    pub fn min_value(&self) -> f64 {
        match self {
            Dist::Const { value } => *value,
            Dist::Uniform { lo, hi } => lo.min(*hi),
            Dist::LogNormal { .. } => 0.0,
            Dist::AtLeast { floor, dist } => dist.min_value().max(*floor),
        }
    }

    /// True when all parameters are finite and non-negative where required.
    pub fn is_valid(&self) -> bool {
        match self {
            Dist::Const { value } => value.is_finite() && *value >= 0.0,
            Dist::Uniform { lo, hi } => lo.is_finite() && hi.is_finite() && *lo >= 0.0 && hi >= lo,
            Dist::LogNormal { median, sigma } => {
                median.is_finite() && sigma.is_finite() && *median >= 0.0 && *sigma >= 0.0
            }
            Dist::AtLeast { floor, dist } => floor.is_finite() && *floor >= 0.0 && dist.is_valid(),
        }
    }

    /// Returns the distribution with every value multiplied by `factor`.
    pub fn scaled(&self, factor: f64) -> Dist {
        match self {
            Dist::Const { value } => Dist::Const {
                value: value * factor,
            },
            Dist::Uniform { lo, hi } => Dist::Uniform {
                lo: lo * factor,
                hi: hi * factor,
            },
            Dist::LogNormal { median, sigma } => Dist::LogNormal {
                median: median * factor,
                sigma: *sigma,
            },
            Dist::AtLeast { floor, dist } => Dist::AtLeast {
                floor: floor * factor,
                dist: Box::new(dist.scaled(factor)),
            },
        }
    }
}

/// Standard normal CDF (Abramowitz–Stegun 7.1.26 erf approximation, |error| < 1.5e-7).
pub fn normal_cdf(x: f64) -> f64 {
    let z = x / std::f64::consts::SQRT_2;
    let sign = if z < 0.0 { -1.0 } else { 1.0 };
    let a = z.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-a * a).exp();
    0.5 * (1.0 + sign * erf)
}

/// Standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9).
pub fn normal_quantile(p: f64) -> f64 {
    let p = p.clamp(1e-300, 1.0 - 1e-16);
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let plow = 0.024_25;
    if p < plow {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - plow {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    }
}

/// SplitMix64 finaliser: a bijective 64-bit mixer.
#[inline]
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Purpose tags for counter-based uniforms, so that different draws for the
/// same element are independent.
#[derive(Debug, Clone, Copy)]
#[repr(u64)]
pub(crate) enum Purpose {
    Buffer = 1,
    Fragility = 2,
    Repair = 3,
    Restoration = 4,
}

/// Uniform in `(0, 1)` derived from a per-sample key, an element index and a purpose.
///
/// This is a counter-based generator: the value does not depend on the order
/// in which elements are visited, which gives common random numbers across
/// what-if variants and independence from thread scheduling.
#[inline]
pub(crate) fn element_uniform(sample_key: u64, element: u64, purpose: Purpose) -> f64 {
    let h = mix64(
        sample_key ^ mix64(element.wrapping_mul(0xD6E8_FEB8_6659_FD93) ^ (purpose as u64) << 56),
    );
    ((h >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_inverts_cdf() {
        for &p in &[0.001, 0.05, 0.3, 0.5, 0.7, 0.95, 0.999] {
            let x = normal_quantile(p);
            assert!((normal_cdf(x) - p).abs() < 1e-6, "p={p}");
        }
    }

    #[test]
    fn lognormal_median_is_median() {
        let d = Dist::lognormal(10.0, 0.8);
        assert!((d.sample(0.5) - 10.0).abs() < 1e-9);
        assert!(d.sample(0.9) > 10.0);
    }

    #[test]
    fn element_uniform_is_in_unit_interval_and_varies() {
        let a = element_uniform(42, 7, Purpose::Buffer);
        let b = element_uniform(42, 8, Purpose::Buffer);
        let c = element_uniform(42, 7, Purpose::Repair);
        assert!(a > 0.0 && a < 1.0);
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, element_uniform(42, 7, Purpose::Buffer));
    }
}
