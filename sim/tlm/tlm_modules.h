// SystemC TLM-2.0 modules: the SRAM buffers as a target that counts, the
// array as a target that takes one tile per transaction and reaches the SRAM
// through its own initiator socket, and the MemoryPort adapter that turns an
// array's operand accesses into transactions. Loosely timed: the array target
// annotates the tile's cycles as delay; SRAM accesses are pipelined inside a
// tile's closed form and annotate none.
#pragma once
#ifndef SC_INCLUDE_DYNAMIC_PROCESSES
#define SC_INCLUDE_DYNAMIC_PROCESSES
#endif
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <stdexcept>
#include <string>

#include "array_model.h"
#include "memory.h"

namespace systrain {

// An operand access: which block, for which operand. The payload's data
// pointer holds int64 elements (or is null for a timing-only access).
struct AccessExt : tlm::tlm_extension<AccessExt> {
  Access2D access;
  Operand op = Operand::kX;
  std::string error;  // set by the target with an error response
  tlm::tlm_extension_base* clone() const override { return new AccessExt(*this); }
  void copy_from(const tlm::tlm_extension_base& e) override { *this = static_cast<const AccessExt&>(e); }
};

// A unit of work (a tile, for the systolic array) from the controller to a
// unit target, and where its result goes.
template <class Work, class Run>
struct WorkExt : tlm::tlm_extension<WorkExt<Work, Run>> {
  const Work* work = nullptr;
  int64_t start_cycle = 0;
  bool record_events = false;
  Run* result = nullptr;
  tlm::tlm_extension_base* clone() const override { return new WorkExt(*this); }
  void copy_from(const tlm::tlm_extension_base& e) override { *this = static_cast<const WorkExt&>(e); }
};
using TileExt = WorkExt<Tile, TileRun>;

class SramTarget : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<SramTarget> socket;
  SramTarget(sc_core::sc_module_name n, Memory& mem) : sc_module(n), socket("socket"), mem_(mem) {
    socket.register_b_transport(this, &SramTarget::b_transport);
  }

 private:
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time&) {
    AccessExt* x = nullptr;
    p.get_extension(x);
    if (!x) { p.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE); return; }
    auto* d = reinterpret_cast<int64_t*>(p.get_data_ptr());
    try {
      if (p.is_read()) mem_.read(x->access, x->op, d);
      else mem_.write(x->access, x->op, d);
    } catch (const std::out_of_range& e) {  // an address bug: an error response, not a crash
      x->error = e.what();
      p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
    p.set_response_status(tlm::TLM_OK_RESPONSE);
  }
  Memory& mem_;
};

// MemoryPort over an initiator socket
template <class Socket>
class SocketPort final : public MemoryPort {
 public:
  explicit SocketPort(Socket& s) : s_(s) { p_.set_extension(&ext_); }
  ~SocketPort() override { p_.clear_extension(&ext_); }
  void read(const Access2D& a, Operand op, int64_t* data) override { go(tlm::TLM_READ_COMMAND, a, op, data); }
  void write(const Access2D& a, Operand op, const int64_t* data) override {
    go(tlm::TLM_WRITE_COMMAND, a, op, const_cast<int64_t*>(data));
  }

 private:
  void go(tlm::tlm_command cmd, const Access2D& a, Operand op, int64_t* data) {
    ext_.access = a;
    ext_.op = op;
    p_.set_command(cmd);
    p_.set_address(static_cast<uint64_t>(a.addr));
    p_.set_data_ptr(reinterpret_cast<unsigned char*>(data));
    p_.set_data_length(static_cast<unsigned>(a.elements() * sizeof(int64_t)));
    p_.set_streaming_width(p_.get_data_length());
    p_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_core::sc_time zero = sc_core::SC_ZERO_TIME;
    s_->b_transport(p_, zero);
    if (p_.is_response_error()) throw std::runtime_error("SRAM access failed: " + ext_.error);
  }
  Socket& s_;
  tlm::tlm_generic_payload p_;
  AccessExt ext_;
};

// A unit of any kind (model/unit.h) as a TLM target: one unit of work a
// transaction, its cycles annotated as delay; it reaches the SRAM through its
// own initiator socket.
template <class Work, class Run>
class UnitTarget : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<UnitTarget> socket;
  tlm_utils::simple_initiator_socket<UnitTarget> sram;
  UnitTarget(sc_core::sc_module_name n, Unit<Work, Run>& unit, sc_core::sc_time period)
      : sc_core::sc_module(n), socket("socket"), sram("sram"), unit_(unit), period_(period), port_(sram) {
    socket.register_b_transport(this, &UnitTarget::b_transport);
  }

 private:
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    WorkExt<Work, Run>* x = nullptr;
    p.get_extension(x);
    if (!x) { p.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE); return; }
    *x->result = unit_.run(*x->work, port_, x->start_cycle, x->record_events);
    delay += static_cast<double>(x->result->cycles) * period_;
    p.set_response_status(tlm::TLM_OK_RESPONSE);
  }
  Unit<Work, Run>& unit_;
  sc_core::sc_time period_;
  SocketPort<tlm_utils::simple_initiator_socket<UnitTarget>> port_;
};
using ArrayTarget = UnitTarget<Tile, TileRun>;

}  // namespace systrain
