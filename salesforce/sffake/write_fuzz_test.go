package sffake

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"
)

// FuzzParseSOAP feeds the partner API request parser arbitrary bodies. It
// must never panic; a body it accepts names one call; and a login built
// from the credentials it read parses back to the same credentials, so
// that no escaping (CDATA, entities) changes a password.
func FuzzParseSOAP(f *testing.F) {
	f.Add([]byte(`<soapenv:Envelope xmlns:soapenv='http://schemas.xmlsoap.org/soap/envelope/' xmlns:urn='urn:partner.soap.sforce.com'><soapenv:Body><urn:login><urn:username><![CDATA[a@b.c]]></urn:username><urn:password><![CDATA[p&<w>]]></urn:password></urn:login></soapenv:Body></soapenv:Envelope>`))
	f.Add([]byte(`<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header><SessionHeader><sessionId>00D!x</sessionId></SessionHeader><AllOrNoneHeader><allOrNone>1</allOrNone></AllOrNoneHeader></e:Header><e:Body><undelete><ids>001000000000001AAA</ids><ids> 001000000000002AAA </ids></undelete></e:Body></e:Envelope>`))
	f.Add([]byte(`<Envelope><Body><login/></Body></Envelope>`))
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>`))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseSOAP(body)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if req.Op == "" {
			t.Fatalf("accepted %q without an operation", body)
		}
		for _, id := range req.IDs {
			if id != strings.TrimSpace(id) {
				t.Fatalf("id %q not trimmed", id)
			}
		}
		if !validXMLText(req.Username) || !validXMLText(req.Password) {
			return // text XML cannot carry back
		}
		var b strings.Builder
		b.WriteString(`<s:Envelope xmlns:s="` + nsSOAPEnv + `"><s:Body><login><username>`)
		_ = xml.EscapeText(&b, []byte(req.Username))
		b.WriteString(`</username><password>`)
		_ = xml.EscapeText(&b, []byte(req.Password))
		b.WriteString(`</password></login></s:Body></s:Envelope>`)
		again, err := parseSOAP([]byte(b.String()))
		if err != nil {
			t.Fatalf("rebuilt login %q: %v", b.String(), err)
		}
		if again.Username != strings.TrimSpace(req.Username) || again.Password != req.Password {
			t.Fatalf("credentials %q/%q came back as %q/%q", req.Username, req.Password, again.Username, again.Password)
		}
	})
}

// validXMLText reports whether s is made of characters XML 1.0 allows,
// with no carriage return (which XML parsers normalise).
func validXMLText(s string) bool {
	for _, r := range s {
		if r == '\r' || r == 0xFFFD || (r < 0x20 && r != '\t' && r != '\n') || (r >= 0xD800 && r <= 0xDFFF) || r == 0xFFFE || r == 0xFFFF {
			return false
		}
	}
	return true
}

// FuzzParseCollection feeds the sObject Collections body parser, and the
// conversion of each record's fields to Account values, arbitrary bodies.
// Neither may panic; an accepted body holds at most 200 JSON objects; a
// record refused carries a status code and a message; the values of one
// accepted are already in the form records hold.
func FuzzParseCollection(f *testing.F) {
	f.Add([]byte(`{"allOrNone":true,"records":[{"attributes":{"type":"Account"},"Name":"Acme","NumberOfEmployees":"12","AnnualRevenue":1e3,"BillingLatitude":"45.5"}]}`))
	f.Add([]byte(`{"records":[{"attributes":{"type":"Account"},"id":"001000000000001AAA","Name":null,"Phone":7}]}`))
	f.Add([]byte(`{"records":[{"Name":"x","CreatedDate":"2024-01-01T00:00:00.000+0000","Bogus__c":[]}]}`))
	f.Add([]byte(`{"records":[null]}`))
	f.Add([]byte(`{"records":[]} trailing`))
	f.Add([]byte(`{"records":[{"Name":"x","NumberOfEmployees":2147483648}]}`))
	acct, err := compileObject(AccountObject())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		_, records, err := parseCollection(body)
		if err != nil {
			var we *writeError
			if !errors.As(err, &we) || we.code == "" || we.msg == "" || we.status != 400 {
				t.Fatalf("parse error %#v is not a REST error", err)
			}
			return
		}
		if len(records) > maxCollection {
			t.Fatalf("accepted %d records", len(records))
		}
		for i, rec := range records {
			if rec == nil {
				t.Fatalf("record %d is nil", i)
			}
			vals, err := recordValues(acct, rec, i%2 == 0)
			if err != nil {
				var we *writeError
				if !errors.As(err, &we) || we.code == "" || we.msg == "" {
					t.Fatalf("record %d: error %#v is not a REST error", i, err)
				}
				continue
			}
			for name, v := range vals {
				ff, ok := acct.flat[name]
				if !ok {
					t.Fatalf("record %d: value for unknown field %s", i, name)
				}
				again, err := normalize(ff.typ, v)
				if err != nil || !equalValues(again, v) {
					t.Fatalf("record %d: %s = %#v is not in record form (%v)", i, name, v, err)
				}
			}
		}
	})
}
