; Inno Setup 6 script: turns the one-folder bundle dist\nextbatch\ into one installer,
; dist\NextBatch-<version>-setup.exe. Build the bundle first (python packaging\build.py), then
;     iscc /DAppVersion=0.1.0 packaging\windows\nextbatch.iss
; AppVersion must be nextbatch.__version__ (packaging/README.md shows how to read it).
; Installs per machine into Program Files, or per user when the user has no admin rights.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z packaging\windows\nextbatch.iss
#endif

#define AppName "NextBatch"
#define AppExe "nextbatch.exe"
#define Root "..\.."

[Setup]
; A fixed AppId lets later versions install over this one and share one uninstaller.
AppId={{6F1C2B7E-4D0A-4B8E-9C55-2A9E7D3B1F40}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=NextBatch
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=admin
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={#Root}\dist
OutputBaseFilename=NextBatch-{#AppVersion}-setup
SetupIconFile={#Root}\resources\icons\nextbatch.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName} {#AppVersion}
ChangesAssociations=yes
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole one-folder bundle; the installer removes what an older version left behind.
Source: "{#Root}\dist\nextbatch\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "Plan the next batch of recipes to try"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; .nbx files open in NextBatch (Explorer's "Open with" and double-click).
Root: HKA; Subkey: "Software\Classes\.nbx"; ValueType: string; ValueName: ""; ValueData: "NextBatch.Study"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.nbx"; ValueType: string; ValueName: "Content Type"; ValueData: "application/x-nextbatch-study"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\NextBatch.Study"; ValueType: string; ValueName: ""; ValueData: "NextBatch study"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\NextBatch.Study\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#AppExe},0"
Root: HKA; Subkey: "Software\Classes\NextBatch.Study\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}\SupportedTypes"; ValueType: string; ValueName: ".nbx"; ValueData: ""; Flags: uninsdeletekey

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
