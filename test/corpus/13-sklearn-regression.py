# Regression with scikit-learn on the diabetes data: linear models, regularisation and residuals.

# %%
%matplotlib inline
%config InlineBackend.figure_format = 'retina'
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split, cross_val_score, KFold, learning_curve
from sklearn.linear_model import LinearRegression, Ridge, Lasso
from sklearn.preprocessing import StandardScaler, PolynomialFeatures
from sklearn.pipeline import make_pipeline
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.ensemble import RandomForestRegressor

# %% A line through exact points recovers the slope and intercept
x = np.arange(10).reshape(-1, 1)
exact = LinearRegression().fit(x, 4 * x.ravel() + 1)
print(round(exact.coef_[0], 6), round(exact.intercept_, 6))
# expect: text ^4\.0 1\.0$

# %% Passing a 1-D array where a 2-D one is expected
LinearRegression().fit(np.arange(10), np.arange(10))
# expect: error ValueError
# expect: text Reshape your data

# %% The diabetes data
diabetes = load_diabetes(as_frame=True)
df = diabetes.frame
print(df.shape)
df.head()
# expect: text \(442, 11\)

# %% Correlation of each feature with the target
df.corr()["target"].drop("target").sort_values().plot.barh(title="correlation with target")
# expect: images 1

# %% Split and fit ordinary least squares
X_train, X_test, y_train, y_test = train_test_split(diabetes.data, diabetes.target, test_size=0.2, random_state=42)
ols = LinearRegression().fit(X_train, y_train)
pred = ols.predict(X_test)
r2 = r2_score(y_test, pred)
rmse = mean_squared_error(y_test, pred) ** 0.5
print(f"R² = {r2:.3f}, RMSE = {rmse:.1f}")
print(0.3 < r2 < 0.6)
# expect: text R² = 0\.\d{3}, RMSE = \d+\.\d
# expect: text ^True$

# %% Predicted against actual
fig, ax = plt.subplots(figsize=(4.5, 4.5))
ax.scatter(y_test, pred, alpha=0.6)
lims = [min(y_test.min(), pred.min()), max(y_test.max(), pred.max())]
ax.plot(lims, lims, "k--")
ax.set(xlabel="actual", ylabel="predicted", title="OLS")
# expect: images 1

# %% Residuals: a histogram and residuals against fitted values
resid = y_test - pred
fig, axes = plt.subplots(1, 2, figsize=(9, 3))
axes[0].hist(resid, bins=20)
axes[1].scatter(pred, resid, s=10)
axes[1].axhline(0, color="k")
# expect: images 1

# %% Ridge and lasso paths over a range of alphas
alphas = np.logspace(-3, 1, 20)
ridge_coefs = [Ridge(alpha=a).fit(X_train, y_train).coef_ for a in alphas]
lasso_coefs = [Lasso(alpha=a, max_iter=5000).fit(X_train, y_train).coef_ for a in alphas]
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), sharey=True)
axes[0].semilogx(alphas, ridge_coefs)
axes[0].set_title("ridge")
axes[1].semilogx(alphas, lasso_coefs)
axes[1].set_title("lasso")
# expect: images 1

# %% A strong lasso sets coefficients to exactly zero
strong = Lasso(alpha=5.0).fit(X_train, y_train)
print((strong.coef_ == 0).sum() > 5)
# expect: text True

# %% Cross-validated comparison
cv = KFold(5, shuffle=True, random_state=0)
models = {
    "ols": LinearRegression(),
    "ridge": make_pipeline(StandardScaler(), Ridge(alpha=1.0)),
    "forest": RandomForestRegressor(n_estimators=30, max_depth=5, random_state=0),
}
results = pd.DataFrame({name: cross_val_score(m, diabetes.data, diabetes.target, cv=cv, scoring="r2") for name, m in models.items()})
results.agg(["mean", "std"]).round(3)
# expect: text mean

# %% The comparison as a box plot
results.plot.box(title="5-fold R²")
# expect: images 1

# %% Polynomial features on a curved relationship
rng = np.random.default_rng(5)
xc = np.sort(rng.uniform(-3, 3, 80))
yc = 0.5 * xc ** 3 - xc + rng.normal(0, 1, xc.size)
fig, ax = plt.subplots()
ax.scatter(xc, yc, s=10, color="gray")
for degree in (1, 3, 9):
    poly = make_pipeline(PolynomialFeatures(degree), LinearRegression()).fit(xc[:, None], yc)
    ax.plot(xc, poly.predict(xc[:, None]), label=f"degree {degree}")
ax.legend()
# expect: images 1

# %% A learning curve (few sizes, few folds)
sizes, train_scores, val_scores = learning_curve(
    Ridge(alpha=0.1), diabetes.data, diabetes.target, train_sizes=np.linspace(0.2, 1.0, 4), cv=3)
plt.plot(sizes, train_scores.mean(axis=1), "o-", label="train")
plt.plot(sizes, val_scores.mean(axis=1), "o-", label="validation")
plt.legend()
plt.xlabel("training examples")
print(sizes.tolist())
# expect: images 1

# %% Wrong number of features at predict time
ols.predict(X_test.iloc[:, :4])
# expect: error ValueError

# %% Coefficients as a tidy table
coefs = pd.DataFrame({"feature": diabetes.feature_names, "ols": ols.coef_, "ridge": Ridge(alpha=1.0).fit(X_train, y_train).coef_})
coefs.set_index("feature").round(1)
# expect: text bmi

# %% Back to PNG figures
%config InlineBackend.figure_format = 'png'
coefs.set_index("feature").plot.bar(figsize=(7, 3))
# expect: images 1
