# SciPy for the sciences: statistics, optimisation, integration, interpolation and signals.

# %%
%matplotlib inline
import numpy as np
import matplotlib.pyplot as plt
from scipy import stats, optimize, integrate, interpolate, signal, linalg

# %% The normal distribution
print(round(stats.norm.cdf(1.96), 4), round(stats.norm.ppf(0.975), 4))
# expect: text 0\.975 1\.96

# %% Probability mass of a binomial
print(round(stats.binom.pmf(5, 10, 0.5), 6), stats.binom(10, 0.5).mean())
# expect: text 0\.246094 5\.0

# %% Densities of a few distributions
xs = np.linspace(0, 8, 300)
for k in (1, 2, 4):
    plt.plot(xs, stats.gamma(k).pdf(xs), label=f"gamma({k})")
plt.plot(xs, stats.expon(scale=2).pdf(xs), "k:", label="expon(2)")
plt.legend()
# expect: images 1

# %% Two-sample t-test on generated groups
rng = np.random.default_rng(99)
control = rng.normal(10.0, 2.0, 60)
treated = rng.normal(11.5, 2.0, 60)
res = stats.ttest_ind(treated, control)
print(res.statistic > 0, res.pvalue < 0.01)
# expect: text True True

# %% A paired test and a non-parametric alternative
before = rng.normal(80, 8, 25)
after = before - rng.normal(3, 2, 25)
print(stats.ttest_rel(before, after).pvalue < 0.001, stats.wilcoxon(before, after).pvalue < 0.001)
# expect: text True True

# %% A chi-squared test of independence on a table with a known answer
table = np.array([[10, 10], [10, 10]])
chi2, p, dof, expected = stats.chi2_contingency(table)
print(chi2, p, dof)
# expect: text ^0\.0 1\.0 1$

# %% Correlation coefficients
a = np.arange(20.0)
print(round(stats.pearsonr(a, 2 * a + 1).statistic, 10), round(stats.spearmanr(a, a ** 3).statistic, 10))
# expect: text 1\.0 1\.0

# %% A Q-Q plot with scipy
fig, ax = plt.subplots(figsize=(4, 4))
stats.probplot(treated, dist="norm", plot=ax)
# expect: images 1

# %% Minimising the Rosenbrock function
result = optimize.minimize(optimize.rosen, x0=[-1.2, 1.0], method="BFGS")
print(result.success, np.round(result.x, 4))
# expect: text True \[1\. 1\.\]

# %% Finding a root: x^3 - 2x - 5 = 0
root = optimize.brentq(lambda x: x ** 3 - 2 * x - 5, 2, 3)
round(root, 6)
# expect: text 2\.094551

# %% Curve fitting an exponential decay
t = np.linspace(0, 5, 40)
y = 3.0 * np.exp(-0.8 * t) + rng.normal(0, 0.05, t.size)
(amp, rate), cov = optimize.curve_fit(lambda t, a, k: a * np.exp(-k * t), t, y, p0=[1, 1])
plt.plot(t, y, "o", ms=4)
plt.plot(t, amp * np.exp(-rate * t), "r-", label=f"{amp:.2f}·exp(-{rate:.2f} t)")
plt.legend()
print(abs(amp - 3) < 0.1, abs(rate - 0.8) < 0.05)
# expect: images 1
# expect: text True True

# %% Numerical integration
value, err = integrate.quad(np.sin, 0, np.pi)
gauss, _ = integrate.quad(lambda x: np.exp(-x ** 2), -np.inf, np.inf)
print(round(value, 10), np.isclose(gauss, np.sqrt(np.pi)))
# expect: text 2\.0 True

# %% Solving an ODE: the logistic equation
sol = integrate.solve_ivp(lambda t, p: 0.9 * p * (1 - p / 100), (0, 15), [2.0], dense_output=True)
tt = np.linspace(0, 15, 200)
plt.plot(tt, sol.sol(tt)[0])
plt.axhline(100, ls=":", color="gray")
plt.title("logistic growth")
print(sol.success, round(sol.y[0, -1]))
# expect: images 1
# expect: text True 100

# %% Interpolation: linear against cubic spline
xk = np.linspace(0, 10, 8)
yk = np.sin(xk)
fine = np.linspace(0, 10, 200)
plt.plot(xk, yk, "ko", label="data")
plt.plot(fine, interpolate.interp1d(xk, yk)(fine), label="linear")
plt.plot(fine, interpolate.CubicSpline(xk, yk)(fine), label="cubic spline")
plt.legend()
# expect: images 1

# %% Signal processing: filter a noisy sine
fs = 500
tsig = np.arange(0, 1, 1 / fs)
clean = np.sin(2 * np.pi * 5 * tsig)
noisy = clean + 0.5 * rng.normal(size=tsig.size)
b, a = signal.butter(4, 15, fs=fs)
filtered = signal.filtfilt(b, a, noisy)
fig, axes = plt.subplots(2, 1, figsize=(8, 4), sharex=True)
axes[0].plot(tsig, noisy, lw=0.5)
axes[1].plot(tsig, filtered)
axes[1].plot(tsig, clean, "k:")
print(np.abs(filtered - clean).mean() < np.abs(noisy - clean).mean() / 3)
# expect: images 1
# expect: text True

# %% The spectrum has its peak at 5 Hz
freqs, power = signal.periodogram(noisy, fs=fs)
plt.semilogy(freqs, power)
plt.xlim(0, 50)
freqs[np.argmax(power)]
# expect: images 1
# expect: text 5\.0

# %% Linear algebra beyond NumPy: LU decomposition
M = np.array([[4.0, 3.0], [6.0, 3.0]])
P, L, U = linalg.lu(M)
print(np.allclose(P @ L @ U, M), linalg.det(M))
# expect: text True -6\.0
# expect: images 0

# %% Optimisation with bounds that make no sense
optimize.minimize_scalar(lambda x: x ** 2, bounds=(3, 1), method="bounded")
# expect: error ValueError
