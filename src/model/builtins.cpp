#include "mlloop/model/model.hpp"

namespace mlloop {

Family baseline_family();
Family linear_family();
Family knn_family();

void register_builtins(Registry& r) {
  r.add(baseline_family());
  r.add(linear_family());
  register_gbdt(r);
  register_mlp(r);
  r.add(knn_family());
}

}  // namespace mlloop
