# gen-mods.awk - writes a modsCollection of N MODS 3.8 records (awk -v n=N)
# for bench/metadata.sh: about 2 KB each, several languages and scripts,
# names with roles, subjects from authorities, date ranges, identifiers.
BEGIN {
	split("mi|ar|ja|el|ru|iu", tl, "|")
	split("mao|ara|jpn|gre|rus|iku", tb, "|")
	split("Ngā waiata o te kāinga|أغاني البيت|家の歌|Τραγούδια του σπιτιού|Песни дома|ᐃᓪᓗᒥ ᐱᓯᐅᑏᑦ", tt, "|")
	split("text|still image|sound recording-musical|moving image|cartographic|three dimensional object|software, multimedia|notated music|mixed material", tor, "|")
	print "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	print "<modsCollection xmlns=\"http://www.loc.gov/mods/v3\" xmlns:xlink=\"http://www.w3.org/1999/xlink\">"
	for (i = 0; i < n; i++) {
		k = i % 6 + 1
		print "<mods version=\"3.8\">"
		print "  <titleInfo usage=\"primary\" lang=\"eng\" xml:lang=\"en\"><nonSort>The </nonSort><title>Record " i " of the collection</title><subTitle>a test</subTitle></titleInfo>"
		print "  <titleInfo type=\"translated\" lang=\"" tb[k] "\" xml:lang=\"" tl[k] "\"><title>" tt[k] " " i "</title></titleInfo>"
		print "  <name type=\"personal\" authority=\"naf\"><namePart type=\"family\">Author" (i % 97) "</namePart><namePart type=\"given\">Given</namePart><namePart type=\"date\">1901-1980</namePart><role><roleTerm type=\"code\" authority=\"marcrelator\">aut</roleTerm></role></name>"
		print "  <name type=\"corporate\"><namePart>Archive " (i % 13) "</namePart><role><roleTerm type=\"code\" authority=\"marcrelator\">ctb</roleTerm></role></name>"
		print "  <typeOfResource>" tor[i % 9 + 1] "</typeOfResource>"
		print "  <genre authority=\"aat\">photographs</genre>"
		print "  <originInfo><place><placeTerm type=\"text\">Wellington</placeTerm></place><publisher>Example Press</publisher><dateIssued encoding=\"w3cdtf\" keyDate=\"yes\">" (1900 + i % 120) "</dateIssued><dateCreated encoding=\"w3cdtf\" point=\"start\">1890</dateCreated><dateCreated encoding=\"w3cdtf\" point=\"end\">1899</dateCreated></originInfo>"
		print "  <language><languageTerm type=\"code\" authority=\"iso639-2b\">" tb[k] "</languageTerm><languageTerm type=\"code\" authority=\"rfc5646\">" tl[k] "</languageTerm></language>"
		print "  <physicalDescription><internetMediaType>image/tiff</internetMediaType><extent>1 photograph</extent></physicalDescription>"
		print "  <abstract lang=\"eng\" xml:lang=\"en\">An abstract for record " i " &amp; its context, with enough words to look like a real description of an item.</abstract>"
		print "  <note>Note " i "</note>"
		print "  <subject authority=\"lcsh\" lang=\"eng\" xml:lang=\"en\"><topic>Songs</topic><topic>History</topic><geographic>New Zealand</geographic></subject>"
		print "  <subject authority=\"lcsh\"><temporal point=\"start\">1890</temporal><temporal point=\"end\">1899</temporal></subject>"
		print "  <classification authority=\"ddc\">782.42</classification>"
		print "  <relatedItem type=\"host\"><titleInfo><title>Collection " (i % 50) "</title></titleInfo><identifier type=\"local\">C-" (i % 50) "</identifier></relatedItem>"
		print "  <identifier type=\"local\">REC-" i "</identifier>"
		print "  <location><url>https://repository.example.org/objects/" i "</url></location>"
		print "  <accessCondition type=\"use and reproduction\" xlink:href=\"http://rightsstatements.org/vocab/InC/1.0/\">In Copyright</accessCondition>"
		print "  <recordInfo><recordIdentifier>rec-" i "</recordIdentifier></recordInfo>"
		print "</mods>"
	}
	print "</modsCollection>"
}
