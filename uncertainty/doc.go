// Package uncertainty turns Monte Carlo samples into predictive
// distributions and scores them.
//
// Summarize combines L samples of a heteroscedastic regressor (each a mean
// μ_s and a variance σ²_s) by the law of total variance: the predictive
// mean is the mean of μ_s, the epistemic variance the (population) variance
// of μ_s, the aleatoric variance the mean of σ²_s, and the total their sum.
// Intervals are Gaussian with the total variance.
//
// The metrics score Gaussian predictions (means and variances) against
// targets; each doc comment gives its formula. StdScaling and Isotonic
// recalibrate a model's variances or quantile levels on held-out data.
package uncertainty
