// The messages the contract test asks the C++ encoders for: every 1/16 °C step of the valid
// range, every sensor class (also through the classifier), and the edges of every field.
#pragma once
#include <cstddef>
#include <functional>
#include <string>

#include "../core/schema.h"

constexpr long kNoTemp = -100000;  // the message must carry "tempC": null

using EncodeSink = std::function<void(sv::Kind, const std::string& name, long expectRaw16, const char* payload, size_t len)>;
void forEachEncodeCase(const EncodeSink& sink);
