/*
 * A measuring probe for node-breakdown.ts, never loaded by the gateway. Built on demand with the
 * headers of the running Node. Exports:
 *   mallinfo()            bytes in use in glibc's main arena (mallinfo2: uordblks + hblkhd);
 *   mtrace(on)            glibc's allocation trace (needs libc_malloc_debug.so preloaded and
 *                         MALLOC_TRACE set) switched on or off;
 *   setReleaseBuffers(x)  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS) on the SSL_CTX behind a
 *                         SecureContext's `_external`; returns the context's mode afterwards.
 */
#include <malloc.h>
#include <mcheck.h>
#include <node.h>
#include <openssl/ssl.h>
#include <v8.h>

namespace {

void Mallinfo(const v8::FunctionCallbackInfo<v8::Value>& info) {
  struct mallinfo2 m = mallinfo2();
  info.GetReturnValue().Set(v8::Number::New(info.GetIsolate(), static_cast<double>(m.uordblks + m.hblkhd)));
}

void Mtrace(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (info.Length() > 0 && info[0]->IsTrue())
    mtrace();
  else
    muntrace();
}

void SetReleaseBuffers(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (info.Length() < 1 || !info[0]->IsExternal()) {
    isolate->ThrowException(v8::Exception::TypeError(
        v8::String::NewFromUtf8Literal(isolate, "setReleaseBuffers: expected a SecureContext's _external")));
    return;
  }
  SSL_CTX* ctx = static_cast<SSL_CTX*>(info[0].As<v8::External>()->Value());
  long mode = SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  info.GetReturnValue().Set(v8::Number::New(isolate, static_cast<double>(mode)));
}

}  // namespace

NODE_MODULE_INIT() {
  NODE_SET_METHOD(exports, "mallinfo", Mallinfo);
  NODE_SET_METHOD(exports, "mtrace", Mtrace);
  NODE_SET_METHOD(exports, "setReleaseBuffers", SetReleaseBuffers);
}
