package mapping

import "testing"

func TestParseType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario string
		in       string
		want     Type
		canon    string
	}{
		{"text", "text", Type{Kind: KindText}, "text"},
		{"upper case", "TEXT", Type{Kind: KindText}, "text"},
		{"varchar", "varchar(18)", Type{Kind: KindVarchar, Length: 18}, "varchar(18)"},
		{"varchar spaced", " varchar ( 255 ) ", Type{Kind: KindVarchar, Length: 255}, "varchar(255)"},
		{"varchar max", "varchar(10485760)", Type{Kind: KindVarchar, Length: 10485760}, "varchar(10485760)"},
		{"boolean", "boolean", Type{Kind: KindBoolean}, "boolean"},
		{"smallint", "smallint", Type{Kind: KindSmallint}, "smallint"},
		{"integer", "integer", Type{Kind: KindInteger}, "integer"},
		{"bigint", "bigint", Type{Kind: KindBigint}, "bigint"},
		{"real", "real", Type{Kind: KindReal}, "real"},
		{"double precision", "double precision", Type{Kind: KindDoublePrecision}, "double precision"},
		{"double precision spaced", "Double   Precision", Type{Kind: KindDoublePrecision}, "double precision"},
		{"numeric", "numeric", Type{Kind: KindNumeric}, "numeric"},
		{"numeric(p)", "numeric(10)", Type{Kind: KindNumeric, Precision: 10}, "numeric(10,0)"},
		{"numeric(p,s)", "numeric(18,2)", Type{Kind: KindNumeric, Precision: 18, Scale: 2}, "numeric(18,2)"},
		{"numeric spaced", "numeric( 18 , 2 )", Type{Kind: KindNumeric, Precision: 18, Scale: 2}, "numeric(18,2)"},
		{"numeric scale equals precision", "numeric(5,5)", Type{Kind: KindNumeric, Precision: 5, Scale: 5}, "numeric(5,5)"},
		{"numeric max", "numeric(1000,1000)", Type{Kind: KindNumeric, Precision: 1000, Scale: 1000}, "numeric(1000,1000)"},
		{"date", "date", Type{Kind: KindDate}, "date"},
		{"timestamptz", "timestamptz", Type{Kind: KindTimestamptz}, "timestamptz"},
		{"time", "time", Type{Kind: KindTime}, "time"},
		{"bytea", "bytea", Type{Kind: KindBytea}, "bytea"},
		{"jsonb", "jsonb", Type{Kind: KindJSONB}, "jsonb"},
		{"uuid", "uuid", Type{Kind: KindUUID}, "uuid"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			got, err := ParseType(tt.in)
			if err != nil {
				t.Fatalf("ParseType(%q): %v", tt.in, err)
			}
			if got != tt.want || got.String() != tt.canon {
				t.Errorf("ParseType(%q) = %+v (%s), want %+v (%s)", tt.in, got, got, tt.want, tt.canon)
			}
			if again, err := ParseType(got.String()); err != nil || again != got {
				t.Errorf("ParseType(String()) = %+v, %v", again, err)
			}
		})
	}
}

func TestParseTypeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string
	}{
		{"", `unknown type ""; supported: ` + supportedTypes},
		{"money", `unknown type "money"; supported: ` + supportedTypes},
		{"int", `unknown type "int" (use integer)`},
		{"INT8", `unknown type "INT8" (use bigint)`},
		{"float", `unknown type "float" (use double precision)`},
		{"decimal(18,2)", `unknown type "decimal(18,2)" (use numeric(p,s))`},
		{"timestamp", `unknown type "timestamp" (use timestamptz; a timestamp without time zone loses the instant)`},
		{"json", `unknown type "json" (use jsonb)`},
		{"varchar", `bad type "varchar": varchar needs one length, as in varchar(255); use text for unlimited`},
		{"varchar()", `bad type "varchar()": parameter "" is not an integer`},
		{"varchar(0)", `bad type "varchar(0)": length must be 1 to 10485760`},
		{"varchar(10485761)", `bad type "varchar(10485761)": length must be 1 to 10485760`},
		{"varchar(1,2)", `bad type "varchar(1,2)": varchar needs one length, as in varchar(255); use text for unlimited`},
		{"varchar(x)", `bad type "varchar(x)": parameter "x" is not an integer`},
		{"varchar(-5)", `bad type "varchar(-5)": length must be 1 to 10485760`},
		{"varchar(18", `bad type "varchar(18": unbalanced parentheses`},
		{"varchar(18))", `bad type "varchar(18))": parameter "18)" is not an integer`},
		{"numeric(0)", `bad type "numeric(0)": precision must be 1 to 1000`},
		{"numeric(1001,2)", `bad type "numeric(1001,2)": precision must be 1 to 1000`},
		{"numeric(5,6)", `bad type "numeric(5,6)": scale must be 0 to the precision 5`},
		{"numeric(5,-1)", `bad type "numeric(5,-1)": scale must be 0 to the precision 5`},
		{"numeric(1,2,3)", `bad type "numeric(1,2,3)": want numeric, numeric(p) or numeric(p,s)`},
		{"numeric()", `bad type "numeric()": parameter "" is not an integer`},
		{"text(10)", `bad type "text(10)": text takes no parameters`},
		{"time(3)", `bad type "time(3)": time takes no parameters`},
		{"double", `unknown type "double" (use double precision)`},
		{"precision double", `unknown type "precision double"; supported: ` + supportedTypes},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseType(tt.in)
			if err == nil {
				t.Fatalf("ParseType(%q) = %v, want an error", tt.in, got)
			}
			if err.Error() != tt.want {
				t.Errorf("ParseType(%q) error:\n got %s\nwant %s", tt.in, err, tt.want)
			}
		})
	}
	if Kind(0).String() != "Kind(0)" || (Type{}).String() != "Kind(0)" {
		t.Error("the zero Kind prints wrongly")
	}
}
