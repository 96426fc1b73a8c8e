//! The model file: its JSON header types and the binary layout (`format_version` 1),
//! little-endian: `URPMAIL-MODEL\n`, one JSON header line, then `u32 V`, V × (`u16` length +
//! UTF-8 term), V × `f32` idf, V × `u32` df, per class `u32 nnz` + nnz × (`u32` term, `f32`
//! weight sum), and a trailing SHA-256 of everything after the magic line. The file holds the
//! sufficient statistics; weights are derived at load by the closed form.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::linear::Linear;
use super::params::TrainParams;
use super::weights::weights_into;
use super::{Model, ModelError};
use crate::classify::taxonomy::hex;
use crate::classify::vocab::Vocab;

/// Newest model file format: 2 adds the linear SVM's weights after the sums. A model without
/// one is still written as format 1, byte for byte as before, and both are read.
pub const FORMAT_VERSION: u32 = 2;
/// The format of a naive-Bayes-only model.
const FORMAT_NB_ONLY: u32 = 1;
const MAGIC: &[u8] = b"URPMAIL-MODEL\n";

/// Which taxonomy a model was trained for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxonomyRef {
    pub id: String,
    pub hash: String,
}

/// Which rules file a model was calibrated with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesRef {
    pub version: String,
    pub hash: String,
}

/// Facts about the training run, for reproducibility and the review of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingSummary {
    pub documents: u64,
    pub per_label: BTreeMap<String, u64>,
    pub vocabulary: u64,
    /// Accuracy of out-of-fold predictions (k-fold inside training), if computed.
    pub cv_accuracy: Option<f64>,
    pub cv_folds: u32,
    /// Documents added by incremental updates since the last full training.
    pub updated_documents: u64,
    /// How the documents of the last incremental update were weighted (absent: like training
    /// documents).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_weight: Option<LocalWeight>,
}

/// The weights of an incremental update's documents, as the model header records them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalWeight {
    /// Times each counted in the naive-Bayes sums.
    pub naive_bayes: f64,
    /// Factor of the linear part's cost for them.
    pub linear: f64,
}

/// Probability calibration fitted on out-of-fold scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calibration {
    /// Softmax temperature applied to raw scores.
    pub temperature: f64,
    /// Weight of the linear SVM's margins added to the naive-Bayes scores (models with one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linear_weight: Option<f64>,
    /// Per label: confidence below which a decision is flagged for review.
    pub thresholds: BTreeMap<String, f64>,
    /// Threshold for labels with too few held-out predictions.
    pub default_threshold: f64,
    /// Weight of rule evidence added to the model's logits, fitted on held-out folds when the
    /// model was trained with a rules file.
    pub rules_weight: Option<f64>,
}

/// The JSON header line of a model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelHeader {
    pub format_version: u32,
    pub kind: String,
    /// Content hash of parameters, labels and statistics: the model's version.
    pub version: String,
    /// Version this one was updated from, if incremental.
    pub parent_version: Option<String>,
    pub labels: Vec<String>,
    pub taxonomy: Option<TaxonomyRef>,
    /// Version and hash of the rules file the model was calibrated with.
    pub rules: Option<RulesRef>,
    pub params: TrainParams,
    pub class_docs: Vec<u64>,
    pub summary: TrainingSummary,
    pub calibration: Calibration,
    /// RFC 3339; from `SOURCE_DATE_EPOCH` when set, so builds are reproducible.
    pub trained_at: String,
}

impl Model {
    /// Content hash of header (without version and time) and payload: the model's version.
    pub(super) fn content_hash(&self) -> String {
        let mut h = Sha256::new();
        let mut header = self.header.clone();
        header.version = String::new();
        header.trained_at = String::new();
        h.update(serde_json::to_vec(&header).unwrap_or_default());
        h.update(self.payload());
        hex(&h.finalize()[..6])
    }

    /// Everything after the header line but the checksum.
    fn payload(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&(self.vocab.len() as u32).to_le_bytes());
        for t in self.vocab.iter() {
            let b = t.as_bytes();
            out.extend_from_slice(&(b.len().min(u16::MAX as usize) as u16).to_le_bytes());
            out.extend_from_slice(&b[..b.len().min(u16::MAX as usize)]);
        }
        for x in &self.idf {
            out.extend_from_slice(&x.to_le_bytes());
        }
        for x in &self.df {
            out.extend_from_slice(&x.to_le_bytes());
        }
        for row in &self.sums {
            out.extend_from_slice(&(row.len() as u32).to_le_bytes());
            for &(t, w) in row {
                out.extend_from_slice(&t.to_le_bytes());
                out.extend_from_slice(&w.to_le_bytes());
            }
        }
        if let Some(l) = &self.linear {
            for x in l.weights.iter().chain(&l.bias) {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        out
    }

    /// The file format this model is written in.
    pub(super) fn format_version(&self) -> u32 {
        if self.linear.is_some() { FORMAT_VERSION } else { FORMAT_NB_ONLY }
    }

    /// Serialises the model (deterministic: same model, same bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut body = serde_json::to_vec(&self.header).unwrap_or_default();
        body.push(b'\n');
        body.extend(self.payload());
        let digest = Sha256::digest(&body);
        let mut out = Vec::with_capacity(MAGIC.len() + body.len() + 32);
        out.extend_from_slice(MAGIC);
        out.extend(body);
        out.extend_from_slice(&digest);
        out
    }

    /// Reads a model written by [`Model::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, ModelError> {
        Ok(Model::parse(bytes)?.with_weights())
    }

    /// [`Model::from_bytes`] of a file's bytes, freed before the weights are derived: a large
    /// model never holds its file and its weights in memory at once.
    pub fn from_vec(bytes: Vec<u8>) -> Result<Model, ModelError> {
        let parsed = Model::parse(&bytes)?;
        drop(bytes);
        Ok(parsed.with_weights())
    }

    /// The model's naive-Bayes weights, derived from its sums by the closed form.
    fn with_weights(mut self) -> Model {
        let v = self.vocab.len();
        weights_into(&self.params, &self.sums, &self.header.class_docs, v, &mut self.weights, &mut self.bias);
        self
    }

    /// Everything the file holds, without the derived weights.
    fn parse(bytes: &[u8]) -> Result<Model, ModelError> {
        let rest = bytes.strip_prefix(MAGIC).ok_or(ModelError::BadMagic)?;
        if rest.len() < 32 {
            return Err(ModelError::Corrupt("file too short".into()));
        }
        let (body, digest) = rest.split_at(rest.len() - 32);
        let nl = body
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| ModelError::Corrupt("no header line".into()))?;
        // Read the version first so an old or future file gets the version message, not a
        // checksum or schema error.
        let loose: serde_json::Value = serde_json::from_slice(&body[..nl])
            .map_err(|e| ModelError::Corrupt(format!("header is not JSON: {e}")))?;
        let found = loose.get("format_version").and_then(serde_json::Value::as_u64).unwrap_or(0) as u32;
        if found != FORMAT_VERSION && found != FORMAT_NB_ONLY {
            return Err(ModelError::Version { found });
        }
        if Sha256::digest(body).as_slice() != digest {
            return Err(ModelError::Corrupt("checksum mismatch".into()));
        }
        let header: ModelHeader =
            serde_json::from_value(loose).map_err(|e| ModelError::Corrupt(format!("header: {e}")))?;
        let params = header.params.check()?;
        let mut r = Reader { buf: &body[nl + 1..] };
        let v = r.u32()? as usize;
        let c = header.labels.len();
        if c < 2 || header.class_docs.len() != c {
            return Err(ModelError::Corrupt("label list and class counts disagree".into()));
        }
        let mut terms = Vec::with_capacity(v.min(1 << 22));
        for _ in 0..v {
            let len = r.u16()? as usize;
            let t = std::str::from_utf8(r.take(len)?)
                .map_err(|_| ModelError::Corrupt("term is not UTF-8".into()))?;
            terms.push(t);
        }
        let vocab = Vocab::new(terms.iter().copied());
        if vocab.len() != v {
            return Err(ModelError::Corrupt("duplicate terms in the vocabulary".into()));
        }
        let idf = (0..v).map(|_| r.f32()).collect::<Result<Vec<_>, _>>()?;
        let df = (0..v).map(|_| r.u32()).collect::<Result<Vec<_>, _>>()?;
        let mut sums = Vec::with_capacity(c);
        for _ in 0..c {
            let nnz = r.u32()? as usize;
            let mut row = Vec::with_capacity(nnz.min(v));
            for _ in 0..nnz {
                let t = r.u32()?;
                let w = r.f32()?;
                if t as usize >= v || !w.is_finite() {
                    return Err(ModelError::Corrupt("term index or weight out of range".into()));
                }
                row.push((t, w));
            }
            sums.push(row);
        }
        let linear = if found == FORMAT_VERSION {
            // Sized up front: collecting through `Result` would grow the vector by doubling, and
            // these are the largest arrays of a model.
            let mut floats = |n: usize| -> Result<Vec<f32>, ModelError> {
                if r.buf.len() < n.saturating_mul(4) {
                    return Err(ModelError::Corrupt("file too short for its linear weights".into()));
                }
                let mut out = Vec::with_capacity(n);
                for _ in 0..n {
                    let x = r.f32()?;
                    if !x.is_finite() {
                        return Err(corrupt_weight());
                    }
                    out.push(x);
                }
                Ok(out)
            };
            let weights = floats(v * c)?;
            let bias = floats(c)?;
            Some(Linear { weights, bias })
        } else {
            None
        };
        if linear.is_some() != params.linear_cost.is_some() {
            return Err(ModelError::Corrupt("linear weights and parameters disagree".into()));
        }
        if !r.buf.is_empty() {
            return Err(ModelError::Corrupt("trailing bytes".into()));
        }
        Ok(Model { header, params, vocab, idf, df, sums, weights: Vec::new(), bias: Vec::new(), linear })
    }
}

fn corrupt_weight() -> ModelError {
    ModelError::Corrupt("linear weight is not a finite number".into())
}

struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ModelError> {
        if self.buf.len() < n {
            return Err(ModelError::Corrupt("unexpected end of data".into()));
        }
        let (a, b) = self.buf.split_at(n);
        self.buf = b;
        Ok(a)
    }
    fn u16(&mut self) -> Result<u16, ModelError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, ModelError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn f32(&mut self) -> Result<f32, ModelError> {
        let b = self.take(4)?;
        Ok(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{corpus, labels, text};
    use super::super::{TrainParams, Variant};
    use super::*;

    #[test]
    fn trains_scores_and_round_trips_byte_for_byte() {
        for variant in [Variant::Complement, Variant::Multinomial] {
            let params = TrainParams { variant, ..TrainParams::default() }.check().expect("valid");
            let m =
                Model::train(labels(), &corpus(), params.clone(), None, None, "2026-01-01T00:00:00Z".into())
                    .expect("train");
            let s = m.score_analyzed(&text("imu scadenza"), None);
            assert_eq!(s.best().0, 0);
            assert!(s.probs.iter().all(|p| (0.0..=1.0).contains(p)));
            let bytes = m.to_bytes();
            let back = Model::from_bytes(&bytes).expect("load");
            assert_eq!(back.to_bytes(), bytes);
            assert_eq!(back.weights, m.weights, "weights are re-derived at load");
            let s2 = back.score_analyzed(&text("imu scadenza"), None);
            assert_eq!(s.probs, s2.probs);
            let again = Model::train(labels(), &corpus(), params, None, None, "2026-01-01T00:00:00Z".into())
                .expect("train");
            assert_eq!(again.to_bytes(), bytes, "training is deterministic");
        }
    }

    #[test]
    fn corrupted_files_are_refused() {
        let params = TrainParams::default().check().expect("valid");
        let m = Model::train(labels(), &corpus(), params, None, None, String::new()).expect("train");
        let mut bytes = m.to_bytes();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0xff;
        assert!(matches!(Model::from_bytes(&bytes), Err(ModelError::Corrupt(_))));
        assert!(matches!(Model::from_bytes(b"hello"), Err(ModelError::BadMagic)));
        let truncated = &m.to_bytes()[..40];
        assert!(Model::from_bytes(truncated).is_err());
    }

    #[test]
    fn a_file_with_invalid_parameters_is_refused_as_such() {
        let params = TrainParams::default().check().expect("valid");
        let m = Model::train(labels(), &corpus(), params, None, None, String::new()).expect("train");
        let mut header = m.header.clone();
        header.params.alpha = -1.0;
        let mut body = serde_json::to_vec(&header).expect("json");
        body.push(b'\n');
        body.extend(m.payload());
        let digest = Sha256::digest(&body);
        let bytes = [MAGIC, &body, &digest].concat();
        assert!(matches!(Model::from_bytes(&bytes), Err(ModelError::Params(_))));
    }

    #[test]
    fn a_model_with_a_linear_part_is_format_2_reproducible_and_round_trips() {
        let params = TrainParams { linear_cost: Some(1.0), ..TrainParams::default() }.check().expect("valid");
        let train =
            || Model::train(labels(), &corpus(), params.clone(), None, None, "2026-01-01T00:00:00Z".into());
        let m = train().expect("train");
        assert_eq!(m.header.format_version, FORMAT_VERSION);
        assert!(m.header.calibration.linear_weight.is_some(), "the blend weight is calibrated");
        let bytes = m.to_bytes();
        assert_eq!(train().expect("train").to_bytes(), bytes, "training is deterministic");
        let back = Model::from_bytes(&bytes).expect("load");
        assert_eq!(back.linear, m.linear);
        assert_eq!(back.to_bytes(), bytes);
        let s = m.score_analyzed(&text("imu scadenza"), None);
        assert_eq!(s.best().0, 0);
        let why: Vec<String> = m.explain(&s, 0, 5).into_iter().map(|(t, _)| t).collect();
        assert!(why.contains(&"imu".to_string()) && why.contains(&"scadenza".to_string()), "{why:?}");
        assert_eq!(back.score_analyzed(&text("imu scadenza"), None).probs, s.probs);
        // Parameters that promise a linear part the file does not hold are refused.
        let mut nb_only = m.clone();
        nb_only.linear = None;
        let mut body = serde_json::to_vec(&nb_only.header).expect("json");
        body.push(b'\n');
        body.extend(nb_only.payload());
        let digest = Sha256::digest(&body);
        let bytes = [MAGIC, &body, &digest].concat();
        assert!(matches!(Model::from_bytes(&bytes), Err(ModelError::Corrupt(_))));
    }

    #[test]
    fn a_naive_bayes_model_is_still_written_and_read_as_format_1() {
        // Files written before the linear part existed are format 1, and a model without one
        // is written exactly as they were (the shipped model's bytes are checked elsewhere).
        let params = TrainParams { linear_cost: None, ..TrainParams::default() }.check().expect("valid");
        let m = Model::train(labels(), &corpus(), params, None, None, String::new()).expect("train");
        assert_eq!(m.header.format_version, 1);
        let bytes = m.to_bytes();
        let header_line = bytes.split(|&b| b == b'\n').nth(1).expect("header");
        let header = String::from_utf8_lossy(header_line);
        assert!(!header.contains("linear"), "{header}");
        assert!(Model::from_bytes(&bytes).expect("load").linear.is_none());
    }
}
