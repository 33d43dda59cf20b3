# Regression the statistician's way with statsmodels: formulas, summaries, ANOVA and diagnostic plots.

# %%
%matplotlib inline
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import statsmodels.api as sm
import statsmodels.formula.api as smf
from statsmodels.stats.anova import anova_lm

# %% Simulated study: hours of study, a teaching method and an exam score
rng = np.random.default_rng(123)
n = 120
study = pd.DataFrame({
    "hours": rng.uniform(0, 10, n).round(1),
    "method": rng.choice(["lecture", "online", "tutorial"], n),
    "sleep": rng.normal(7, 1, n).round(1),
})
effect = study["method"].map({"lecture": 0.0, "online": -3.0, "tutorial": 5.0})
study["score"] = 50 + 4 * study["hours"] + effect + 1.5 * (study["sleep"] - 7) + rng.normal(0, 4, n)
study.describe().round(2)
# expect: html

# %% A simple regression with a formula
simple = smf.ols("score ~ hours", data=study).fit()
simple.params.round(2)
# expect: text hours\s+\d\.\d\d

# %% The slope is close to the true value of 4
print(abs(simple.params["hours"] - 4) < 0.5, simple.pvalues["hours"] < 1e-10)
# expect: text True True

# %% The summary table
simple.summary()
# expect: text OLS Regression Results
# expect: text Dep\. Variable:\s+score

# %% A model with a categorical variable and a covariate
full = smf.ols("score ~ hours + C(method) + sleep", data=study).fit()
print(full.summary().tables[1])
# expect: text C\(method\)\[T\.tutorial\]

# %% The method effects are recovered
tutorial, online = full.params["C(method)[T.tutorial]"], full.params["C(method)[T.online]"]
print(abs(tutorial - 5) < 2, abs(online + 3) < 2, tutorial > 0 > online)
# expect: text ^True True True$

# %% The summary renders as HTML too
from IPython.display import HTML
HTML(full.summary().tables[0].as_html())
# expect: html
# expect: text R-squared

# %% ANOVA table for the full model
anova_lm(full, typ=2).round(4)
# expect: text C\(method\)
# expect: text Residual

# %% Comparing nested models with an F-test
anova_lm(simple, full)
# expect: text df_resid

# %% One-way ANOVA agrees with scipy
from scipy import stats
oneway = smf.ols("score ~ C(method)", data=study).fit()
f_sm = anova_lm(oneway).loc["C(method)", "F"]
f_sp = stats.f_oneway(*[g["score"] for _, g in study.groupby("method")]).statistic
print(np.isclose(f_sm, f_sp))
# expect: text True

# %% Fitted line with confidence and prediction bands
grid = pd.DataFrame({"hours": np.linspace(0, 10, 50)})
bands = simple.get_prediction(grid).summary_frame(alpha=0.05)
plt.scatter(study["hours"], study["score"], s=10, alpha=0.6)
plt.plot(grid["hours"], bands["mean"], "r-")
plt.fill_between(grid["hours"], bands["mean_ci_lower"], bands["mean_ci_upper"], alpha=0.3, color="r")
plt.fill_between(grid["hours"], bands["obs_ci_lower"], bands["obs_ci_upper"], alpha=0.1, color="r")
# expect: images 1

# %% Residual diagnostics for one regressor (a 2 x 2 grid made by statsmodels)
fig = plt.figure(figsize=(9, 6))
sm.graphics.plot_regress_exog(full, "hours", fig=fig)
# expect: images 1

# %% A Q-Q plot of the residuals returned as the last expression
sm.qqplot(full.resid, line="s")
# expect: images 1

# %% Influence plot
fig, ax = plt.subplots(figsize=(6, 4))
sm.graphics.influence_plot(simple, ax=ax, criterion="cooks", size=10)
# expect: images 1

# %% An interaction plot
from statsmodels.graphics.factorplots import interaction_plot
study["hours_band"] = pd.cut(study["hours"], [0, 5, 10], labels=["low", "high"], include_lowest=True)
fig, ax = plt.subplots(figsize=(5, 3.5))
interaction_plot(study["hours_band"].astype(str), study["method"], study["score"], ax=ax)
# expect: images 1

# %% The Longley data shipped with statsmodels
longley = sm.datasets.longley.load_pandas().data
print(longley.shape)
longley.head(3)
# expect: text \(16, 7\)

# %% The classic Longley regression with the array interface
X = sm.add_constant(longley.drop(columns="TOTEMP"))
longley_fit = sm.OLS(longley["TOTEMP"], X).fit()
print(f"R-squared {longley_fit.rsquared:.3f}")
print(f"condition number is large: {np.linalg.cond(X) > 1e6}")
# expect: text R-squared 0\.995
# expect: text condition number is large: True

# %% Logistic regression with a formula
study["passed"] = (study["score"] > 70).astype(int)
logit = smf.logit("passed ~ hours + sleep", data=study).fit(disp=False)
print(logit.params["hours"] > 0, logit.prsquared > 0.3)
# expect: text True True

# %% Odds ratios with confidence intervals
np.exp(logit.conf_int().assign(OR=logit.params)).round(3)
# expect: text hours

# %% A misspelled column in the formula
smf.ols("score ~ hour", data=study).fit()
# expect: error PatsyError

# %% Robust standard errors change the errors, not the estimates
robust = smf.ols("score ~ hours + C(method) + sleep", data=study).fit(cov_type="HC3")
print(np.allclose(robust.params, full.params), not np.allclose(robust.bse, full.bse))
# expect: text True True
