//! Tube voltage: how CT numbers change when an acquisition at the reference 120 kV is
//! repeated at another kV.
//!
//! The model is piecewise linear in three materials around water, which is 0 HU at every kV
//! by the definition of the Hounsfield scale:
//! - above 0 HU a voxel is water-equivalent soft tissue plus bone mineral, and the mineral
//!   part (all of the HU above water) scales by the bone factor of the target kV;
//! - between 0 HU and the fat level (-100 HU at 120 kV) a voxel is water plus fat, and the
//!   fat part scales by the fat factor;
//! - below the fat level a voxel is fat plus air; air stays -1000 HU and the fat end moves
//!   with the fat factor, so the map is continuous everywhere.
//!
//! Default factors, relative to 120 kV (a protocol can give its own table):
//! - bone mineral: 100 kV 1.0511 and 140 kV 0.9319, the ratios of the mean L1 trabecular
//!   attenuation 148.1 / 140.9 / 131.3 HU at 100 / 120 / 140 kV in 16,747 adults (AAPM 2026,
//!   "Normalization of trabecular bone attenuation across kVp values"); 80 kV 1.1135 is the
//!   least-squares line through those three points extended to 80 kV, an assumption.
//! - fat: 80 kV 1.1093, 100 kV 1.0547, 140 kV 0.9453: the line through the yellow-marrow
//!   phantom values -115 HU at 80 kV and -98 HU at 140 kV (Eur Radiol Exp 2019,
//!   doi:10.1186/s41747-019-0125-2, table 1), taken relative to its 120 kV value.

/// Fat at the reference voltage, in HU.
pub const FAT_HU: f64 = -100.0;
/// Air, in HU, at every voltage.
pub const AIR_HU: f64 = -1000.0;
/// The reference voltage.
pub const REFERENCE_KV: f64 = 120.0;

/// Bone-mineral and fat factors at one tube voltage, relative to 120 kV.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct KvFactors {
    /// Tube voltage, kV.
    pub kv: f64,
    /// Bone-mineral HU factor relative to 120 kV.
    pub bone: f64,
    /// Fat HU factor relative to 120 kV.
    pub fat: f64,
}

/// The default table (see the module notes for the sources).
pub const DEFAULT_TABLE: [KvFactors; 4] = [
    KvFactors {
        kv: 80.0,
        bone: 1.1135,
        fat: 1.1093,
    },
    KvFactors {
        kv: 100.0,
        bone: 1.0511,
        fat: 1.0547,
    },
    KvFactors {
        kv: 120.0,
        bone: 1.0,
        fat: 1.0,
    },
    KvFactors {
        kv: 140.0,
        bone: 0.9319,
        fat: 0.9453,
    },
];

/// The factors for `kv` from `table`: exact entries, or linear interpolation between the two
/// nearest entries. `None` outside the table's range (no extrapolation).
pub fn factors(table: &[KvFactors], kv: f64) -> Option<KvFactors> {
    let mut sorted: Vec<KvFactors> = table.to_vec();
    sorted.sort_by(|a, b| a.kv.total_cmp(&b.kv));
    if let Some(hit) = sorted.iter().find(|e| e.kv == kv) {
        return Some(*hit);
    }
    let upper = sorted.iter().position(|e| e.kv > kv)?;
    if upper == 0 {
        return None;
    }
    let (a, b) = (sorted[upper - 1], sorted[upper]);
    let t = (kv - a.kv) / (b.kv - a.kv);
    Some(KvFactors {
        kv,
        bone: a.bone + t * (b.bone - a.bone),
        fat: a.fat + t * (b.fat - a.fat),
    })
}

/// The CT number at the target voltage of a voxel that reads `hu` at 120 kV.
pub fn convert(hu: f64, f: &KvFactors) -> f64 {
    if hu >= 0.0 {
        hu * f.bone
    } else if hu >= FAT_HU {
        hu * f.fat
    } else {
        // fat-air mixture: the air fraction stays, the fat end moves.
        let air = ((FAT_HU - hu) / (FAT_HU - AIR_HU)).min(1.0);
        air * AIR_HU + (1.0 - air) * FAT_HU * f.fat + (hu - AIR_HU).min(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_map_is_continuous_and_keeps_water_and_air() {
        let f = factors(&DEFAULT_TABLE, 80.0).unwrap();
        assert_eq!(convert(0.0, &f), 0.0);
        assert!((convert(-1000.0, &f) + 1000.0).abs() < 1e-12);
        assert!((convert(-100.0 + 1e-9, &f) - convert(-100.0 - 1e-9, &f)).abs() < 1e-6);
        assert!((convert(200.0, &f) - 222.7).abs() < 1e-9);
        let mid = factors(&DEFAULT_TABLE, 110.0).unwrap();
        assert!((mid.bone - (1.0511 + 1.0) / 2.0).abs() < 1e-12);
        assert!(factors(&DEFAULT_TABLE, 150.0).is_none());
        assert!(factors(&DEFAULT_TABLE, 70.0).is_none());
    }
}
