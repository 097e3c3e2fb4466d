#include "detector/event.h"

namespace vigie {
namespace {

constexpr absl::string_view kActionNames[] = {
    "", "login", "lookup", "export", "logout", "password_reset", "mfa"};
constexpr absl::string_view kOutcomeNames[] = {"", "success", "failure",
                                               "not_found"};

}  // namespace

absl::string_view ActionName(Action action) {
  int i = static_cast<int>(action);
  return i >= 1 && i <= 6 ? kActionNames[i] : absl::string_view("unknown");
}

absl::string_view OutcomeName(Outcome outcome) {
  int i = static_cast<int>(outcome);
  return i >= 1 && i <= 3 ? kOutcomeNames[i] : absl::string_view("unknown");
}

std::optional<Action> ParseAction(absl::string_view text) {
  for (int i = 1; i <= 6; ++i) {
    if (text == kActionNames[i]) return static_cast<Action>(i);
  }
  return std::nullopt;
}

std::optional<Outcome> ParseOutcome(absl::string_view text) {
  for (int i = 1; i <= 3; ++i) {
    if (text == kOutcomeNames[i]) return static_cast<Outcome>(i);
  }
  return std::nullopt;
}

}  // namespace vigie
