//! Incremental update: labelled analysed documents (staff corrections) are added to the stored
//! sums, with new labels and terms, and the weights re-derived; the linear part, if any, goes on
//! from its weights with the new documents; a new model version.

use super::format::LocalWeight;
use super::train::{Interner, class_sums};
use super::{Model, ModelError, idf_value, merge_sorted};
use crate::classify::features::{AnalyzedText, extract};
use crate::classify::vocab::Vocab;

/// How much the documents of an incremental update count: `naive_bayes` times in the class
/// sums, and the linear part's cost for them times `linear`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UpdateWeights {
    pub naive_bayes: f32,
    pub linear: f32,
}

impl UpdateWeights {
    /// Every new document counts like a training document.
    pub const PLAIN: UpdateWeights = UpdateWeights { naive_bayes: 1.0, linear: 1.0 };
}

impl Model {
    /// Adds labelled documents to the model (incremental update, e.g. from staff corrections).
    /// Labels not yet known are added. IDF of known terms stays as trained; new terms get the IDF
    /// of a term seen only in the new documents. Calibration is kept from the last full training.
    pub fn update(&mut self, docs: &[(String, AnalyzedText)], trained_at: String) -> Result<(), ModelError> {
        self.update_weighted(docs, UpdateWeights::PLAIN, trained_at)
    }

    /// [`Model::update`] with the new documents weighted: `weights.naive_bayes` times in the
    /// naive-Bayes sums (a comune's own reviewed messages weigh more than the shipped corpus, whose
    /// sums would drown a few dozen of them), and the linear part's cost for them scaled by
    /// `weights.linear` (its update fits the new documents alone against the old weights, a
    /// proximal step strong enough to overfit a handful of doubtful messages at full cost). The
    /// weights are recorded in the header (`summary.local_weight`) unless plain.
    pub fn update_weighted(
        &mut self,
        docs: &[(String, AnalyzedText)],
        weights: UpdateWeights,
        trained_at: String,
    ) -> Result<(), ModelError> {
        if docs.is_empty() {
            return Ok(());
        }
        let weight = weights.naive_bayes;
        for (name, w) in [("naive-Bayes", weights.naive_bayes), ("linear", weights.linear)] {
            if !(w.is_finite() && w > 0.0) {
                return Err(ModelError::Params(format!(
                    "the {name} weight of new documents must be a positive number, not {w}"
                )));
            }
        }
        let parent = self.header.version.clone();
        for (label, _) in docs {
            if !self.header.labels.contains(label) {
                self.header.labels.push(label.clone());
                self.header.class_docs.push(0);
                self.sums.push(Vec::new());
            }
        }
        let tokens: usize = docs.iter().map(|(_, a)| a.subject.len() + a.body.len() + a.quoted.len()).sum();
        let features = self.params.features(false);
        let mut names = Interner::with_capacity(tokens, self.params.bigrams);
        let doc_ids: Vec<Vec<(u32, f32)>> = docs
            .iter()
            .map(|(_, a)| {
                let mut ids = Vec::with_capacity(a.subject.len() + a.body.len());
                extract(a.fields(), &features, &mut names, &mut ids);
                ids
            })
            .collect();
        let feature_names: Vec<String> = (0..names.len() as u32).map(|i| names.name(i)).collect();
        drop(names);

        // New terms: rebuild a sorted vocabulary and remap.
        let mut new_terms: Vec<&str> =
            feature_names.iter().map(String::as_str).filter(|t| self.vocab.get(t).is_none()).collect();
        new_terms.sort_unstable();
        new_terms.dedup();
        let total_docs = self.header.summary.documents + docs.len() as u64;
        if !new_terms.is_empty() {
            let mut merged: Vec<(String, f32, u32)> = self
                .vocab
                .iter()
                .zip(self.idf.iter().zip(&self.df))
                .map(|(t, (&i, &d))| (t.to_string(), i, d))
                .collect();
            let new_idf = idf_value(total_docs as f64, 1.0);
            merged.extend(new_terms.iter().map(|t| ((*t).to_string(), new_idf, 0)));
            merged.sort_by(|a, b| a.0.cmp(&b.0));
            let new_vocab = Vocab::new(merged.iter().map(|m| m.0.as_str()));
            let remap: Vec<u32> = self.vocab.iter().map(|t| new_vocab.get(t).unwrap_or(0)).collect();
            if let Some(l) = &mut self.linear {
                l.remap(&remap, new_vocab.len());
            }
            for row in &mut self.sums {
                for e in row.iter_mut() {
                    e.0 = remap[e.0 as usize];
                }
                row.sort_by_key(|e| e.0);
            }
            self.vocab = new_vocab;
            self.idf = merged.iter().map(|m| m.1).collect();
            self.df = merged.iter().map(|m| m.2).collect();
        }
        let c = self.header.labels.len();
        let v = self.vocab.len();
        let vocab_id: Vec<Option<u32>> = feature_names.iter().map(|n| self.vocab.get(n)).collect();
        let mut vectors = Vec::with_capacity(docs.len());
        for ((label, _), ids) in docs.iter().zip(doc_ids) {
            let li = self.header.labels.iter().position(|l| l == label).unwrap_or(0);
            let mut x: Vec<(u32, f32)> =
                ids.into_iter().filter_map(|(i, w)| vocab_id[i as usize].map(|t| (t, w))).collect();
            merge_sorted(&mut x);
            for &(t, _) in &x {
                self.df[t as usize] += 1;
            }
            self.transform(&mut x);
            vectors.push((li, x));
            self.header.class_docs[li] += 1;
            *self.header.summary.per_label.entry(label.clone()).or_insert(0) += 1;
        }
        if weight == 1.0 {
            self.sums = class_sums(&self.sums, &vectors, c, v);
        } else {
            let scaled: Vec<(usize, Vec<(u32, f32)>)> = vectors
                .iter()
                .map(|(l, x)| (*l, x.iter().map(|&(t, w)| (t, w * weight)).collect()))
                .collect();
            self.sums = class_sums(&self.sums, &scaled, c, v);
        }
        self.fit_weights()?;
        if let (Some(l), Some(cost)) = (&mut self.linear, self.params.linear_cost) {
            l.update(&vectors, c, v, cost * f64::from(weights.linear));
        }
        self.header.summary.local_weight = (weights != UpdateWeights::PLAIN).then(|| LocalWeight {
            naive_bayes: f64::from(weights.naive_bayes),
            linear: f64::from(weights.linear),
        });
        self.header.summary.documents = total_docs;
        self.header.summary.updated_documents += docs.len() as u64;
        self.header.summary.vocabulary = v as u64;
        self.header.parent_version = Some(parent);
        self.header.trained_at = trained_at;
        self.header.version = self.content_hash();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{corpus, labels, text};
    use super::super::{TrainDoc, TrainParams};
    use super::*;

    #[test]
    fn incremental_update_learns_new_terms_and_labels() {
        let params = TrainParams::default().check().expect("valid");
        let mut m = Model::train(labels(), &corpus(), params, None, None, String::new()).expect("train");
        let before = m.header().version.clone();
        let docs: Vec<(String, AnalyzedText)> =
            (0..8).map(|_| ("cimiteri".to_string(), text("loculo cimitero"))).collect();
        m.update(&docs, String::new()).expect("update");
        assert_ne!(m.header().version, before);
        assert_eq!(m.header().parent_version.as_deref(), Some(before.as_str()));
        let s = m.score_analyzed(&text("loculo"), None);
        assert_eq!(m.labels()[s.best().0], "cimiteri");
        let i = m.vocab.get("loculo").expect("new term") as usize;
        assert_eq!(m.df[i], 8, "each new document counts once in df");
        let back = Model::from_bytes(&m.to_bytes()).expect("load");
        assert_eq!(back.score_analyzed(&text("loculo"), None).probs, s.probs);
    }

    #[test]
    fn a_weighted_update_moves_the_model_more_and_weight_one_is_the_plain_update() {
        let params = TrainParams::default().check().expect("valid");
        let base = Model::train(labels(), &corpus(), params, None, None, String::new()).expect("train");
        // One reviewed message that puts a known term under another topic.
        let docs = vec![("cimiteri".to_string(), text("tari loculo"))];
        let mut plain = base.clone();
        plain.update(&docs, String::new()).expect("update");
        let mut one = base.clone();
        one.update_weighted(&docs, UpdateWeights::PLAIN, String::new()).expect("update");
        assert_eq!(one.to_bytes(), plain.to_bytes(), "weight 1 is the plain update, byte for byte");
        assert_eq!(plain.header().summary.local_weight, None);
        let w = UpdateWeights { naive_bayes: 10.0, linear: 1.0 };
        let mut heavy = base.clone();
        heavy.update_weighted(&docs, w, String::new()).expect("update");
        assert_eq!(heavy.header().summary.local_weight.map(|l| l.naive_bayes), Some(10.0));
        let p = |m: &Model| {
            let s = m.score_analyzed(&text("tari loculo"), None);
            s.probs[m.labels().iter().position(|l| l == "cimiteri").expect("label")]
        };
        assert!(p(&heavy) > p(&plain), "heavier local example: {} vs {}", p(&heavy), p(&plain));
        let mut again = base.clone();
        again.update_weighted(&docs, w, String::new()).expect("update");
        assert_eq!(again.to_bytes(), heavy.to_bytes(), "deterministic");
        let bad = |naive_bayes, linear| {
            base.clone().update_weighted(&docs, UpdateWeights { naive_bayes, linear }, String::new())
        };
        assert!(bad(0.0, 1.0).is_err() && bad(f32::NAN, 1.0).is_err() && bad(1.0, -1.0).is_err());
    }

    /// Updating with the training documents' own features adds exactly their training vectors:
    /// training and update see the same features (subject weight and bigrams included).
    #[test]
    fn update_adds_the_features_training_sees() {
        let params = TrainParams { bigrams: true, subject_weight: 3.0, ..TrainParams::default() }
            .check()
            .expect("valid");
        let mut docs = corpus();
        for d in &mut docs {
            d.subject = d.body[..2].to_vec();
        }
        let mut m = Model::train(labels(), &docs, params, None, None, String::new()).expect("train");
        let v = m.vocabulary_len();
        let again: Vec<(String, AnalyzedText)> = docs
            .iter()
            .map(|d| {
                let a = AnalyzedText {
                    subject: d.subject.clone(),
                    body: d.body.clone(),
                    quoted: d.quoted.clone(),
                    folded: String::new(),
                };
                (labels()[d.label].clone(), a)
            })
            .collect();
        let before = m.sums.clone();
        m.update(&again, String::new()).expect("update");
        assert_eq!(m.vocabulary_len(), v, "no new features");
        for (ci, (after, before)) in m.sums.iter().zip(&before).enumerate() {
            for ((t, w), (t0, w0)) in after.iter().zip(before) {
                assert_eq!(t, t0);
                assert!((w - 2.0 * w0).abs() < 1e-4, "class {ci} term {t}: {w} vs 2 x {w0}");
            }
        }
    }

    #[test]
    fn an_update_moves_the_linear_part_too() {
        let params = TrainParams { linear_cost: Some(1.0), ..TrainParams::default() }.check().expect("valid");
        let mut m = Model::train(labels(), &corpus(), params, None, None, String::new()).expect("train");
        let docs: Vec<(String, AnalyzedText)> =
            (0..8).map(|_| ("cimiteri".to_string(), text("loculo cimitero"))).collect();
        m.update(&docs, String::new()).expect("update");
        let l = m.linear.as_ref().expect("linear part kept");
        let c = m.header().labels.len();
        assert_eq!((l.bias.len(), l.weights.len()), (c, c * m.vocabulary_len()));
        let loculo = m.vocab.get("loculo").expect("new term") as usize;
        assert!(l.weights[loculo * c + 3] > 0.0, "the new label's new term weighs for it");
        let s = m.score_analyzed(&text("loculo cimitero"), None);
        assert_eq!(m.labels()[s.best().0], "cimiteri");
        let s = m.score_analyzed(&text("tari imu pagamento"), None);
        assert_eq!(m.labels()[s.best().0], "tributi", "old knowledge kept");
        let bytes = m.to_bytes();
        assert_eq!(Model::from_bytes(&bytes).expect("load").to_bytes(), bytes);
    }

    #[test]
    fn an_update_decides_like_retraining_on_the_union() {
        // Tolerance: the same best label as retraining on every document and on mixed probes.
        // Weights and probabilities are not compared: an update keeps the idf and calibration of
        // the last full training, takes in terms retraining would drop (seen once), and the SVM
        // goes on from its weights instead of starting over.
        let params = TrainParams::default().check().expect("valid");
        let all = corpus();
        // The update brings a label the model has never seen, with all its documents.
        let (old, new): (Vec<TrainDoc>, Vec<TrainDoc>) = all.iter().cloned().partition(|d| d.label != 2);
        let mut updated =
            Model::train(labels()[..2].to_vec(), &old, params.clone(), None, None, String::new())
                .expect("train");
        let docs: Vec<(String, AnalyzedText)> =
            new.iter().map(|d| (labels()[d.label].clone(), super::super::fixtures::analyzed(d))).collect();
        updated.update(&docs, String::new()).expect("update");
        let retrained = Model::train(labels(), &all, params, None, None, String::new()).expect("train");
        let probes = ["asfalto scadenza", "buca residenza", "lampione pagamento anagrafe"];
        let texts = all.iter().map(super::super::fixtures::analyzed).chain(probes.iter().map(|w| text(w)));
        for a in texts {
            let (u, r) = (updated.score_analyzed(&a, None), retrained.score_analyzed(&a, None));
            assert_eq!(u.best().0, r.best().0, "{:?}", a.body);
        }
    }
}
