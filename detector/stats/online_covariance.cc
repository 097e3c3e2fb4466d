#include "detector/stats/online_covariance.h"

#include <cmath>

#include <eigen3/Eigen/Dense>

#include "absl/strings/str_cat.h"

namespace vigie {

using RowMatrix =
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
// Run-time sized but bounded by kMaxDimension, so Eigen keeps them on the
// stack: Distance and Precision run on the detector's hot path (the peer
// model is refrozen as its group grows, at minute boundaries) and must not
// allocate.
using BoundedMatrix =
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor,
                  OnlineCovariance::kMaxDimension,
                  OnlineCovariance::kMaxDimension>;
using BoundedVector = Eigen::Matrix<double, Eigen::Dynamic, 1, Eigen::ColMajor,
                                    OnlineCovariance::kMaxDimension, 1>;

OnlineCovariance::OnlineCovariance(int dimension)
    : dimension_(dimension),
      mean_(dimension, 0.0),
      comoment_(static_cast<size_t>(dimension) * dimension, 0.0) {}

namespace {

// Welford's update of the mean and the co-moment for d = kDimension, or
// for the run-time d when kDimension is 0, by a vector of weight `weight`
// (`weight` copies of it; `count` includes them). A fixed d lets the
// compiler unroll and vectorise the rows; every element gets the same
// operations in the same order either way, so the results are
// bit-identical. Weight 1.0 multiplies exactly, so it gives what the
// unweighted recurrence gives.
template <int kDimension>
void WelfordUpdate(int dimension, uint64_t count, double weight,
                   const double* x, double* mean, double* comoment) {
  const int d = kDimension > 0 ? kDimension : dimension;
  // Plain loops on stack buffers: Update runs on the detector's hot path
  // and must not allocate.
  double before[OnlineCovariance::kMaxDimension];
  const double n = static_cast<double>(count);
  for (int i = 0; i < d; ++i) {
    before[i] = (x[i] - mean[i]) * weight;
    mean[i] += before[i] / n;
  }
  double after[OnlineCovariance::kMaxDimension];
  for (int j = 0; j < d; ++j) after[j] = x[j] - mean[j];
  for (int i = 0; i < d; ++i) {
    double* row = comoment + static_cast<size_t>(i) * d;
    for (int j = 0; j < d; ++j) row[j] += before[i] * after[j];
  }
}

}  // namespace

void OnlineCovariance::Update(absl::Span<const double> x, bool anomalous) {
  if (anomalous) return;
  UpdateWeighted(x, 1);
}

void OnlineCovariance::UpdateWeighted(absl::Span<const double> x,
                                      uint64_t weight) {
  if (weight == 0) return;
  count_ += weight;
  const double w = static_cast<double>(weight);
  // The peer model's dimension gets its own unrolled copy.
  if (dimension_ == 6) {
    WelfordUpdate<6>(6, count_, w, x.data(), mean_.data(), comoment_.data());
  } else {
    WelfordUpdate<0>(dimension_, count_, w, x.data(), mean_.data(),
                     comoment_.data());
  }
}

absl::Status OnlineCovariance::Merge(const OnlineCovariance& other) {
  if (other.dimension_ != dimension_) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot merge covariances of dimension ", dimension_,
                     " and ", other.dimension_));
  }
  if (other.count_ == 0) return absl::OkStatus();
  const double n1 = static_cast<double>(count_);
  const double n2 = static_cast<double>(other.count_);
  const double n = n1 + n2;
  Eigen::Map<Eigen::VectorXd> mean(mean_.data(), dimension_);
  Eigen::Map<RowMatrix> c(comoment_.data(), dimension_, dimension_);
  Eigen::Map<const Eigen::VectorXd> mean2(other.mean_.data(), dimension_);
  Eigen::Map<const RowMatrix> c2(other.comoment_.data(), dimension_,
                                 dimension_);
  const Eigen::VectorXd delta = mean2 - mean;
  c += c2 + delta * delta.transpose() * (n1 * n2 / n);
  mean += delta * (n2 / n);
  count_ += other.count_;
  return absl::OkStatus();
}

std::vector<double> OnlineCovariance::Covariance() const {
  std::vector<double> out(comoment_.size(), 0.0);
  if (count_ < 2) return out;
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = comoment_[i] / static_cast<double>(count_ - 1);
  }
  return out;
}

std::optional<double> OnlineCovariance::Distance(absl::Span<const double> x,
                                                 double shrinkage) const {
  if (count_ < static_cast<uint64_t>(dimension_) + 2) return std::nullopt;
  Eigen::Map<const RowMatrix> c(comoment_.data(), dimension_, dimension_);
  BoundedMatrix s = c / static_cast<double>(count_ - 1);
  const double lambda =
      std::max(shrinkage * s.trace() / dimension_, 1e-12);
  s.diagonal().array() += lambda;
  Eigen::Map<const Eigen::VectorXd> v(x.data(), dimension_);
  Eigen::Map<const Eigen::VectorXd> mean(mean_.data(), dimension_);
  const BoundedVector delta = v - mean;
  const Eigen::LDLT<BoundedMatrix> ldlt(s);
  if (ldlt.info() != Eigen::Success) return std::nullopt;
  const BoundedVector y = ldlt.solve(delta);
  const double squared = delta.dot(y);
  return std::sqrt(std::max(0.0, squared));
}

bool OnlineCovariance::Precision(double shrinkage, double* out) const {
  if (count_ < static_cast<uint64_t>(dimension_) + 2) return false;
  Eigen::Map<const RowMatrix> c(comoment_.data(), dimension_, dimension_);
  BoundedMatrix s = c / static_cast<double>(count_ - 1);
  const double lambda = std::max(shrinkage * s.trace() / dimension_, 1e-12);
  s.diagonal().array() += lambda;
  const Eigen::LDLT<BoundedMatrix> ldlt(s);
  if (ldlt.info() != Eigen::Success) return false;
  const BoundedMatrix inverse =
      ldlt.solve(BoundedMatrix::Identity(dimension_, dimension_));
  Eigen::Map<RowMatrix>(out, dimension_, dimension_) = inverse;
  return true;
}

void OnlineCovariance::Encode(StateWriter& w) const {
  w.Put<uint8_t>(1);
  w.Put<int32_t>(dimension_);
  w.Put(count_);
  for (double v : mean_) w.Put(v);
  for (double v : comoment_) w.Put(v);
}

absl::StatusOr<OnlineCovariance> OnlineCovariance::Decode(StateReader& r) {
  if (r.Get<uint8_t>() != 1) r.Fail();
  const int32_t d = r.Get<int32_t>();
  if (d < 1 || d > kMaxDimension) r.Fail();
  absl::Status status = r.Check("online covariance");
  if (!status.ok()) return status;
  OnlineCovariance c(d);
  c.count_ = r.Get<uint64_t>();
  for (double& v : c.mean_) v = r.Get<double>();
  for (double& v : c.comoment_) v = r.Get<double>();
  status = r.Check("online covariance");
  if (!status.ok()) return status;
  return c;
}

}  // namespace vigie
