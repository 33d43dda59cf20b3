# Unsupervised learning: k-means clustering and principal component analysis, with plots.

# %%
%matplotlib inline
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from sklearn.datasets import load_wine, load_digits, make_blobs
from sklearn.preprocessing import StandardScaler
from sklearn.decomposition import PCA
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score, adjusted_rand_score
plt.style.use("seaborn-v0_8-darkgrid")
# expect: images 0

# %% Blobs with known centres
X, labels = make_blobs(n_samples=400, centers=[[0, 0], [6, 0], [3, 5]], cluster_std=0.8, random_state=3)
plt.scatter(X[:, 0], X[:, 1], s=10, c="gray")
plt.title("Unlabelled points")
# expect: images 1

# %% k-means with k = 3 finds them
km = KMeans(n_clusters=3, n_init=10, random_state=0).fit(X)
centres = km.cluster_centers_[np.argsort(km.cluster_centers_[:, 0] + km.cluster_centers_[:, 1] * 10)]
print(np.round(centres).astype(int).tolist(), round(adjusted_rand_score(labels, km.labels_), 2))
# expect: text \[\[0, 0\], \[6, 0\], \[3, 5\]\] 1\.0

# %% The clusters and their centres
plt.scatter(X[:, 0], X[:, 1], c=km.labels_, s=10, cmap="tab10")
plt.scatter(*km.cluster_centers_.T, marker="X", s=200, c="black")
# expect: images 1

# %% The elbow method and silhouette scores in one figure
ks = range(2, 7)
inertias, silhouettes = [], []
for k in ks:
    model = KMeans(n_clusters=k, n_init=5, random_state=0).fit(X)
    inertias.append(model.inertia_)
    silhouettes.append(silhouette_score(X, model.labels_))
fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3))
a1.plot(list(ks), inertias, "o-")
a1.set_title("inertia")
a2.plot(list(ks), silhouettes, "s-", color="tab:green")
a2.set_title("silhouette")
print("best k by silhouette:", list(ks)[int(np.argmax(silhouettes))])
# expect: images 1
# expect: text best k by silhouette: 3

# %% The wine data: 13 chemical measurements
wine = load_wine(as_frame=True)
print(wine.frame.shape, wine.target.nunique())
wine.frame.iloc[:, :6].head()
# expect: text \(178, 14\) 3

# %% Standardise, then PCA
scaled = StandardScaler().fit_transform(wine.data)
pca = PCA().fit(scaled)
ratios = pca.explained_variance_ratio_
print(round(ratios.sum(), 6), ratios[0] > ratios[1] > ratios[2])
# expect: text 1\.0 True

# %% The scree plot
plt.bar(range(1, 14), ratios, alpha=0.6, label="each")
plt.step(range(1, 14), np.cumsum(ratios), where="mid", label="cumulative")
plt.axhline(0.8, color="k", ls=":")
plt.legend()
plt.xlabel("component")
# expect: images 1

# %% How many components keep 80 % of the variance?
int(np.searchsorted(np.cumsum(ratios), 0.8) + 1)
# expect: text Out\[\d+\]: 5

# %% The first two components, coloured by cultivar
coords = PCA(n_components=2).fit_transform(scaled)
fig, ax = plt.subplots(figsize=(5, 4))
for cls in range(3):
    ax.scatter(*coords[wine.target == cls].T, label=wine.target_names[cls], s=15)
ax.set(xlabel="PC1", ylabel="PC2")
ax.legend()
fig
# expect: images 1

# %% Loadings of the first component
loadings = pd.Series(pca.components_[0], index=wine.data.columns).sort_values()
loadings.plot.barh(figsize=(5, 4), color=np.where(loadings > 0, "tab:blue", "tab:red"))
# expect: images 1

# %% k-means on the scaled wine data agrees with the cultivars
wine_km = KMeans(n_clusters=3, n_init=10, random_state=0).fit(scaled)
print(adjusted_rand_score(wine.target, wine_km.labels_) > 0.8)
# expect: text True

# %% A contingency table of clusters against cultivars
pd.crosstab(wine.target, wine_km.labels_, rownames=["cultivar"], colnames=["cluster"])
# expect: html

# %% Digits: 8x8 images
digits = load_digits()
fig, axes = plt.subplots(2, 8, figsize=(8, 2.2))
for ax, img, lab in zip(axes.ravel(), digits.images, digits.target):
    ax.imshow(img, cmap="gray_r")
    ax.set_title(lab, fontsize=8)
    ax.axis("off")
print(digits.data.shape)
# expect: images 1
# expect: text \(1797, 64\)

# %% PCA of the digits to two dimensions
proj = PCA(n_components=2, random_state=0).fit_transform(digits.data)
plt.figure(figsize=(6, 5))
sc = plt.scatter(proj[:, 0], proj[:, 1], c=digits.target, cmap="tab10", s=6)
plt.colorbar(sc, ticks=range(10))
# expect: images 1

# %% Reconstructing a digit from a few components
pca16 = PCA(n_components=16).fit(digits.data)
recon = pca16.inverse_transform(pca16.transform(digits.data[:4]))
fig, axes = plt.subplots(2, 4, figsize=(6, 3))
for i in range(4):
    axes[0, i].imshow(digits.images[i], cmap="gray_r")
    axes[1, i].imshow(recon[i].reshape(8, 8), cmap="gray_r")
for ax in axes.ravel():
    ax.axis("off")
plt.show()
print(f"kept {pca16.explained_variance_ratio_.sum():.0%} of the variance")
# expect: images 1
# expect: text kept \d\d% of the variance

# %% k-means needs the right number of features at predict time
km.predict(np.zeros((2, 3)))
# expect: error ValueError

# %% Back to the default style
plt.style.use("default")
# expect: images 0
