//! Steps 5-6: the 16x16 partial DCT, the lower median and the hash bits; the dihedral
//! coefficient transforms.

use std::sync::OnceLock;

use crate::Hash256;

/// The 16 x 64 DCT matrix, computed once in f64 exactly as the reference
/// (`D[i][j] = (f32)(s * cos((pi / 2 / 64) * (i + 1) * (2j + 1)))`, `s = (f32)sqrt(2/64)`).
pub fn dct_matrix() -> &'static [[f32; 64]; 16] {
    static TABLE: OnceLock<[[f32; 64]; 16]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let scale = f64::from((2.0f64 / 64.0).sqrt() as f32);
        let pi = std::f64::consts::PI;
        let mut d = [[0f32; 64]; 16];
        for (i, row) in d.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                let angle = (pi / 2.0 / 64.0) * (i as f64 + 1.0) * (2.0 * j as f64 + 1.0);
                *v = (scale * angle.cos()) as f32;
            }
        }
        d
    })
}

fn dct_matrix_transposed() -> &'static [[f32; 16]; 64] {
    static TABLE: OnceLock<[[f32; 16]; 64]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let d = dct_matrix();
        let mut t = [[0f32; 16]; 64];
        for (i, row) in d.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                t[j][i] = v;
            }
        }
        t
    })
}

/// `B = D * A * D^T` with the reference's order: `T = D * A` then `B = T * D^T`, each
/// entry a float32 accumulator starting at 0 with terms added in increasing `k`.
pub(crate) fn dct16(a: &[[f32; 64]; 64]) -> [[f32; 16]; 16] {
    let d = dct_matrix();
    let dt = dct_matrix_transposed();
    let mut t = [[0f32; 64]; 16];
    for (ti, di) in t.iter_mut().zip(d.iter()) {
        // Vectorised across j; the reduction over k stays sequential per (i, j).
        for (k, ak) in a.iter().enumerate() {
            let dik = di[k];
            for (x, &y) in ti.iter_mut().zip(ak.iter()) {
                *x += dik * y;
            }
        }
    }
    let mut b = [[0f32; 16]; 16];
    for (bi, ti) in b.iter_mut().zip(t.iter()) {
        for (k, dtk) in dt.iter().enumerate() {
            let tik = ti[k];
            for (x, &y) in bi.iter_mut().zip(dtk.iter()) {
                *x += tik * y;
            }
        }
    }
    b
}

/// The lower median of the 256 coefficients (the 128th smallest, as Torben's algorithm
/// returns for an even count).
pub(crate) fn lower_median(b: &[[f32; 16]; 16]) -> f32 {
    let mut v = [0f32; 256];
    for (chunk, row) in v.chunks_exact_mut(16).zip(b.iter()) {
        chunk.copy_from_slice(row);
    }
    let (_, m, _) = v.select_nth_unstable_by(127, f32::total_cmp);
    *m
}

/// Bits `16 i + j` = `B[i][j] > median` (strictly), with the lower median of `B`.
pub(crate) fn bits_from_dct(b: &[[f32; 16]; 16]) -> Hash256 {
    let median = lower_median(b);
    let mut limbs = [0u64; 4];
    for (i, row) in b.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            if v > median {
                let k = 16 * i + j;
                limbs[k / 64] |= 1u64 << (k % 64);
            }
        }
    }
    Hash256::from_limbs(limbs)
}

/// The 8 dihedral coefficient matrices, in the reference order
/// (orig, rot90, rot180, rot270, flipx, flipy, flipplus1, flipminus1).
pub(crate) fn dihedral_matrices(b: &[[f32; 16]; 16]) -> [[[f32; 16]; 16]; 8] {
    let mut out = [[[0f32; 16]; 16]; 8];
    for u in 0..16 {
        for v in 0..16 {
            let neg = |x: f32, cond: bool| if cond { -x } else { x };
            let ue = u % 2 == 0;
            let ve = v % 2 == 0;
            let odd_sum = (u + v) % 2 == 1;
            out[0][u][v] = b[u][v];
            out[1][u][v] = neg(b[v][u], ue);
            out[2][u][v] = neg(b[u][v], odd_sum);
            out[3][u][v] = neg(b[v][u], ve);
            out[4][u][v] = neg(b[u][v], ue);
            out[5][u][v] = neg(b[u][v], ve);
            out[6][u][v] = b[v][u];
            out[7][u][v] = neg(b[v][u], odd_sum);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table's 1024 bit patterns, pinned by an FNV-1a digest and three entries computed
    /// independently (Python float64 with glibc `cos`, rounded to float32).
    #[test]
    fn dct_table_pinned() {
        let d = dct_matrix();
        assert_eq!(d[0][0].to_bits(), 0x3e34_f6fe);
        assert_eq!(d[15][63].to_bits(), 0x3e27_3d74);
        assert_eq!(d[5][17].to_bits(), 0x3d9a_ca9e);
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for row in d.iter() {
            for v in row.iter() {
                h ^= u64::from(v.to_bits());
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        assert_eq!(h, 0x0c72_5997_d0b8_e721);
    }
}
