/*
 * qf_initiator -- a QuickFIX C++ initiator that sends orders and counts
 * what comes back; the counterparty of `fixsim exchange` behind
 * fixsession in tests/cli/fixsim_exchange.bats.
 *
 *   qf_initiator SETTINGS N [TIMEOUT_S]
 *
 * Starts a SocketInitiator with a FileStore for the one session SETTINGS
 * describes, waits for the Logon, sends N NewOrderSingles (ClOrdID Q1 ..
 * QN) and waits until each order has a final answer -- an
 * ExecutionReport saying filled (OrdStatus 2) or rejected (OrdStatus 8)
 * -- or TIMEOUT_S seconds (default 30) have passed.  Then it logs out,
 * waits for the Logout to complete, and prints one line:
 *
 *   sent N reports R acked A filled F rejected X rejects J logout L
 *
 * R counts every ExecutionReport, A those with OrdStatus 0 (new), F and X
 * the orders filled and rejected, J the session and business rejects
 * (35=3, 35=j) received, L is 1 when the Logout was answered.  Exit 0
 * when every order was filled or rejected and the logout was clean, 1
 * otherwise, 2 on a usage error, 5 when QuickFIX could not be set up.
 *
 * The orders are built field by field so that the BeginString of the
 * settings (FIX.4.2, FIX.4.4, ...) decides the dialect: TransactTime is
 * sent from 4.2 on, HandlInst always.  Validation of what arrives is up to
 * the settings (UseDataDictionary, DataDictionary): QuickFIX then checks
 * every ExecutionReport against its dictionary and rejects bad ones, which
 * shows up in the counts.
 */
#include <quickfix/Application.h>
#include <quickfix/FileLog.h>
#include <quickfix/FileStore.h>
#include <quickfix/Message.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketInitiator.h>
#include <quickfix/Values.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <string>

namespace {

struct Counts {
	unsigned long	reports = 0;
	unsigned long	acked = 0;
	unsigned long	filled = 0;
	unsigned long	rejected = 0;
	unsigned long	rejects = 0;
};

class Orders : public FIX::Application {
public:
	std::mutex			mu;
	std::condition_variable		cv;
	FIX::SessionID			sid;
	bool				up = false;
	bool				down = false;
	bool				logout_seen = false;
	Counts				n;
	/* ClOrdID -> its final OrdStatus, or 0 while open. */
	std::map<std::string, char>	state;

	void onCreate(const FIX::SessionID &) override {}

	void onLogon(const FIX::SessionID &s) override
	{
		std::lock_guard<std::mutex> l(mu);
		sid = s;
		up = true;
		cv.notify_all();
	}

	void onLogout(const FIX::SessionID &) override
	{
		std::lock_guard<std::mutex> l(mu);
		down = true;
		cv.notify_all();
	}

	void toAdmin(FIX::Message &, const FIX::SessionID &) override {}

	void toApp(FIX::Message &, const FIX::SessionID &)
	    throw(FIX::DoNotSend) override {}

	void fromAdmin(const FIX::Message &m, const FIX::SessionID &)
	    throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
	    FIX::IncorrectTagValue, FIX::RejectLogon) override
	{
		std::string t = type(m);

		std::lock_guard<std::mutex> l(mu);
		if (t == "3")
			n.rejects++;
		else if (t == "5")
			logout_seen = true;
	}

	void fromApp(const FIX::Message &m, const FIX::SessionID &)
	    throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
	    FIX::IncorrectTagValue, FIX::UnsupportedMessageType) override
	{
		std::string t = type(m);

		std::lock_guard<std::mutex> l(mu);
		if (t == "j") {
			n.rejects++;
			return;
		}
		if (t != "8")
			return;
		n.reports++;
		if (!m.isSetField(FIX::FIELD::OrdStatus) ||
		    !m.isSetField(FIX::FIELD::ClOrdID))
			return;
		std::string st = m.getField(FIX::FIELD::OrdStatus);
		std::string id = m.getField(FIX::FIELD::ClOrdID);
		auto it = state.find(id);
		if (st == "0")
			n.acked++;
		if (it == state.end() || it->second != 0)
			return;
		if (st == "2" || st == "8") {
			it->second = st[0];
			if (st == "2")
				n.filled++;
			else
				n.rejected++;
			cv.notify_all();
		}
	}

	bool all_done(unsigned long want)
	{
		return n.filled + n.rejected >= want;
	}

private:
	static std::string type(const FIX::Message &m)
	{
		const FIX::Header &h = m.getHeader();

		if (!h.isSetField(FIX::FIELD::MsgType))
			return "";
		return h.getField(FIX::FIELD::MsgType);
	}
};

FIX::Message
new_order(const FIX::SessionID &sid, unsigned long i)
{
	const std::string &b = sid.getBeginString();
	FIX::Message m;

	m.getHeader().setField(FIX::BeginString(b));
	m.getHeader().setField(FIX::MsgType("D"));
	m.setField(FIX::ClOrdID("Q" + std::to_string(i)));
	m.setField(FIX::HandlInst('1'));
	m.setField(FIX::Symbol(i % 3 == 0 ? "VOD.L" : "AAPL"));
	m.setField(FIX::Side(i % 2 ? FIX::Side_BUY : FIX::Side_SELL));
	if (b >= "FIX.4.2")
		m.setField(FIX::TransactTime());
	m.setField(FIX::OrderQty(10 * (i % 5 + 1)));
	if (i % 4 == 0) {
		m.setField(FIX::OrdType(FIX::OrdType_MARKET));
	} else {
		m.setField(FIX::OrdType(FIX::OrdType_LIMIT));
		m.setField(FIX::Price(100 + (double)(i % 8) / 8));
	}
	return m;
}

unsigned long
number(const char *s, const char *what)
{
	char *end;
	unsigned long v = std::strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0') {
		std::cerr << "qf_initiator: bad " << what << ": " << s << "\n";
		std::exit(2);
	}
	return v;
}

} // namespace

int
main(int argc, char **argv)
{
	if (argc < 3 || argc > 4) {
		std::cerr << "usage: qf_initiator SETTINGS N [TIMEOUT_S]\n";
		return 2;
	}
	unsigned long want = number(argv[2], "order count");
	unsigned long secs = argc > 3 ? number(argv[3], "timeout") : 30;
	unsigned long sent = 0;
	bool done = false, clean = false;
	Orders app;

	try {
		FIX::SessionSettings settings(argv[1]);
		FIX::FileStoreFactory store(settings);
		FIX::FileLogFactory log(settings);
		FIX::SocketInitiator ini(app, store, settings, log);
		auto until = std::chrono::steady_clock::now() +
		    std::chrono::seconds(secs);

		ini.start();
		{
			std::unique_lock<std::mutex> l(app.mu);
			app.cv.wait_until(l, until, [&] { return app.up; });
			if (!app.up) {
				l.unlock();
				std::cerr << "qf_initiator: no Logon in " <<
				    secs << " s\n";
				ini.stop(true);
				return 1;
			}
			for (unsigned long i = 1; i <= want; i++)
				app.state["Q" + std::to_string(i)] = 0;
		}
		for (unsigned long i = 1; i <= want; i++) {
			FIX::Message m = new_order(app.sid, i);

			if (FIX::Session::sendToTarget(m, app.sid))
				sent++;
		}
		{
			std::unique_lock<std::mutex> l(app.mu);
			done = app.cv.wait_until(l, until,
			    [&] { return app.all_done(want); });
		}
		/* stop() sends the Logout and waits for the answer. */
		ini.stop();
		std::lock_guard<std::mutex> l(app.mu);
		clean = app.down && app.logout_seen;
	} catch (std::exception &e) {
		std::cerr << "qf_initiator: " << e.what() << "\n";
		return 5;
	}
	std::lock_guard<std::mutex> l(app.mu);
	std::cout << "sent " << sent << " reports " << app.n.reports <<
	    " acked " << app.n.acked << " filled " << app.n.filled <<
	    " rejected " << app.n.rejected << " rejects " << app.n.rejects <<
	    " logout " << (clean ? 1 : 0) << std::endl;
	return done && clean && sent == want ? 0 : 1;
}
