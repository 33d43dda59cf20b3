# Classification with scikit-learn: splits, pipelines, cross-validation, grid search and evaluation.

# %%
%matplotlib inline
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import sklearn
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.model_selection import train_test_split, cross_val_score, GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.linear_model import LogisticRegression
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix, ConfusionMatrixDisplay, RocCurveDisplay
sklearn.__version__

# %% The breast cancer data bundled with scikit-learn
cancer = load_breast_cancer(as_frame=True)
X, y = cancer.data, cancer.target
print(X.shape, y.value_counts().to_dict(), cancer.target_names.tolist())
# expect: text \(569, 30\) \{1: 357, 0: 212\} \['malignant', 'benign'\]

# %% A quick look at a few features
X.iloc[:, :5].describe().T.round(2)
# expect: html

# %% Hold out a stratified test set
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
print(len(X_train), len(X_test), round(y_train.mean(), 2), round(y_test.mean(), 2))
# expect: text 426 143 0\.63 0\.63

# %% A baseline: always predict the majority class
baseline = (y_test == y_train.mode()[0]).mean()
print(f"baseline accuracy {baseline:.3f}")
# expect: text baseline accuracy 0\.62\d

# %% Logistic regression without scaling struggles to converge
import warnings
from sklearn.exceptions import ConvergenceWarning
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    LogisticRegression(max_iter=50).fit(X_train, y_train)
print(any(issubclass(w.category, ConvergenceWarning) for w in caught))
# expect: text True

# %% A pipeline: scale, then fit
clf = Pipeline([("scale", StandardScaler()), ("logreg", LogisticRegression(max_iter=1000))])
clf.fit(X_train, y_train)
# expect: text Pipeline

# %% Accuracy on the test set
acc = accuracy_score(y_test, clf.predict(X_test))
print(f"test accuracy {acc:.3f}; beats the baseline by far: {acc > baseline + 0.25}")
# expect: text beats the baseline by far: True

# %% The classification report
print(classification_report(y_test, clf.predict(X_test), target_names=cancer.target_names, digits=3))
# expect: text malignant
# expect: text macro avg

# %% A confusion matrix plot
ConfusionMatrixDisplay.from_estimator(clf, X_test, y_test, display_labels=cancer.target_names, cmap="Blues")
plt.title("Logistic regression")
# expect: images 1

# %% The confusion matrix as numbers adds up to the test set
cm = confusion_matrix(y_test, clf.predict(X_test))
print(cm.sum() == len(y_test), cm.shape)
# expect: text True \(2, 2\)

# %% Cross-validation on the training set
scores = cross_val_score(clf, X_train, y_train, cv=StratifiedKFold(5, shuffle=True, random_state=1))
print(len(scores), scores.mean() > 0.9)
# expect: text 5 True

# %% A random forest with a small number of trees
forest = RandomForestClassifier(n_estimators=40, max_depth=6, random_state=0)
forest.fit(X_train, y_train)
forest_acc = forest.score(X_test, y_test)
print(forest_acc > 0.9)
# expect: text True

# %% Feature importances
importances = pd.Series(forest.feature_importances_, index=X.columns).sort_values()
importances.tail(10).plot.barh(figsize=(6, 4), title="Top 10 features")
print(np.isclose(importances.sum(), 1.0))
# expect: images 1
# expect: text True

# %% Grid search over a tiny grid
grid = GridSearchCV(
    make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
    param_grid={"logisticregression__C": [0.1, 1.0, 10.0]},
    cv=3,
)
grid.fit(X_train, y_train)
print(sorted(grid.best_params_), grid.best_params_["logisticregression__C"] in (0.1, 1.0, 10.0))
# expect: text \['logisticregression__C'\] True

# %% The grid's results as a table
pd.DataFrame(grid.cv_results_)[["param_logisticregression__C", "mean_test_score", "rank_test_score"]]
# expect: text rank_test_score

# %% ROC curves for both models on one axes
fig, ax = plt.subplots(figsize=(5, 4))
RocCurveDisplay.from_estimator(grid.best_estimator_, X_test, y_test, ax=ax, name="logistic")
RocCurveDisplay.from_estimator(forest, X_test, y_test, ax=ax, name="forest")
ax.plot([0, 1], [0, 1], "k:")
# expect: images 1

# %% Probabilities instead of labels
proba = grid.predict_proba(X_test.iloc[:3])
print(proba.shape, np.allclose(proba.sum(axis=1), 1))
# expect: text \(3, 2\) True

# %% Predicting with a single row of the wrong shape
grid.predict(X_test.iloc[0].to_numpy())
# expect: error ValueError

# %% Fitting with the wrong number of labels
LogisticRegression().fit(X_train, y_train[:10])
# expect: error ValueError

# %% Predicting with too few features
forest.predict(X_test.iloc[:, :5])
# expect: error ValueError

# %% Iris: three classes and a decision boundary in two dimensions
iris = load_iris()
X2 = iris.data[:, 2:4]
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X2, iris.target)
xx, yy = np.meshgrid(np.linspace(0.5, 7.5, 150), np.linspace(-0.2, 2.8, 150))
zz = model.predict(np.c_[xx.ravel(), yy.ravel()]).reshape(xx.shape)
plt.contourf(xx, yy, zz, alpha=0.3, cmap="viridis")
plt.scatter(X2[:, 0], X2[:, 1], c=iris.target, cmap="viridis", edgecolor="k", s=20)
plt.xlabel(iris.feature_names[2])
plt.ylabel(iris.feature_names[3])
print(f"training accuracy {model.score(X2, iris.target):.2f}")
# expect: images 1
# expect: text training accuracy 0\.9\d

# %% The per-class confusion matrix as a seaborn heat map
import seaborn as sns
cm3 = confusion_matrix(iris.target, model.predict(X2))
sns.heatmap(cm3, annot=True, fmt="d", xticklabels=iris.target_names, yticklabels=iris.target_names, cbar=False)
print(cm3.trace() > 140, cm3[0, 0])
# expect: images 1
# expect: text True 50

# %% Estimators display as an HTML diagram in notebooks
grid.best_estimator_
# expect: html
